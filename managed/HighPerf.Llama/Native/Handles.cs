using System.Runtime.InteropServices;

namespace HighPerf.Llama.Native;

/// <summary>Owns a <c>llama_model*</c>. Contexts and adapters add a reference, so the model is freed last.</summary>
internal sealed class SafeLlamaModelHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    internal static SafeLlamaModelHandle From(IntPtr p) { var h = new SafeLlamaModelHandle(); h.SetHandle(p); return h; }
    protected override bool ReleaseHandle() { NativeMethods.llama_model_free(handle); return true; }
}

/// <summary>A handle whose object belongs to a model (contexts, adapters): it holds a reference on the model so the
/// model is freed last, whatever order the finalizers run in.</summary>
internal abstract class ModelDependentHandle : SafeHandle
{
    private readonly SafeLlamaModelHandle _model;

    protected ModelDependentHandle(IntPtr p, SafeLlamaModelHandle model) : base(IntPtr.Zero, ownsHandle: true)
    {
        _model = model;
        bool ok = false;
        model.DangerousAddRef(ref ok);
        SetHandle(p);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Frees the native object (the model reference is released afterwards).</summary>
    protected abstract void Free(IntPtr p);

    protected override bool ReleaseHandle()
    {
        Free(handle);
        _model.DangerousRelease();
        return true;
    }
}

/// <summary>Owns a <c>llama_context*</c> and keeps its model alive.</summary>
internal sealed class SafeLlamaContextHandle(IntPtr p, SafeLlamaModelHandle model) : ModelDependentHandle(p, model)
{
    protected override void Free(IntPtr p) => NativeMethods.llama_free(p);
}

/// <summary>Owns a <c>llama_adapter_lora*</c> and keeps its model alive.</summary>
internal sealed class SafeLoraAdapterHandle(IntPtr p, SafeLlamaModelHandle model) : ModelDependentHandle(p, model)
{
    protected override void Free(IntPtr p) => NativeMethods.llama_adapter_lora_free(p);
}

/// <summary>Owns a <c>llama_sampler*</c> (a chain).</summary>
internal sealed class SafeLlamaSamplerHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    internal static SafeLlamaSamplerHandle From(IntPtr p) { var h = new SafeLlamaSamplerHandle(); h.SetHandle(p); return h; }
    protected override bool ReleaseHandle() { NativeMethods.llama_sampler_free(handle); return true; }
}
