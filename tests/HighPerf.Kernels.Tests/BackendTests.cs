namespace HighPerf.Kernels.Tests;

public class BackendTests
{
    [Fact]
    public void NativeLibraryLoadsInTestOutput()
    {
        // The test project must exercise the native code, not silently fall back to managed.
        Assert.True(KernelRuntime.IsNativeAvailable, "libhighperf.so was not found next to the test assembly");
        Assert.Equal("0.1.0", KernelRuntime.NativeVersion);
        Assert.Contains(KernelRuntime.NativeCpuIsa, new[] { "avx512", "avx2", "scalar" });
        Assert.NotEqual(KernelBackend.Managed, KernelRuntime.BestAvailable);
    }

    [Fact]
    public void RequestingUnavailableCudaThrowsClearly()
    {
        var x = new float[4];
        var o = new float[4];
        if (!KernelRuntime.IsCudaAvailable)
        {
            var e = Assert.Throws<KernelBackendUnavailableException>(() => Bellman.Polyak(x, o, 0.5f, KernelBackend.Cuda));
            Assert.Contains("CUDA", e.Message);
        }
        // A kernel without a CUDA implementation says so even when CUDA exists.
        Assert.Throws<KernelBackendUnavailableException>(() => Advantages.KlPenalty(x, o, KlEstimator.K1, new float[4], KernelBackend.Cuda));
        Assert.Throws<KernelBackendUnavailableException>(() => new KvBatchPlanner(4, 4, KernelBackend.Cuda));
    }

    [Fact]
    public void GlobalDefaultIsAPreferenceWithFallback()
    {
        var before = KernelRuntime.DefaultBackend;
        try
        {
            KernelRuntime.DefaultBackend = KernelBackend.Cuda;
            var y = new float[3];
            Advantages.KlPenalty(new float[] { 0, 1, 2 }, new float[] { 0, 0, 0 }, KlEstimator.K1, y);  // falls back, no throw
            Assert.Equal(new float[] { 0, 1, 2 }, y);
            KernelRuntime.DefaultBackend = KernelBackend.Managed;
            Assert.Equal(KernelBackend.Managed, new KvBatchPlanner(4, 4).Backend);
        }
        finally
        {
            KernelRuntime.DefaultBackend = before;
        }
    }
}
