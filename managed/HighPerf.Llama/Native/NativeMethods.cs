using System.Runtime.InteropServices;

namespace HighPerf.Llama.Native;

/// <summary>
/// Raw llama.cpp / ggml C API (release v0.5.0). Every caller validates arguments first: misuse of many of these
/// functions aborts the process (GGML_ASSERT) instead of returning an error.
/// Library names "llama", "ggml", "ggml-base" are resolved by <see cref="LlamaNativeLibrary"/>.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Llama = "llama";
    internal const string Ggml = "ggml";
    internal const string GgmlBase = "ggml-base";

    // ---- backend / system ----
    [LibraryImport(Ggml, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void ggml_backend_load_all_from_path(string? dir);
    [LibraryImport(Ggml)] internal static partial nuint ggml_backend_reg_count();
    [LibraryImport(Ggml)] internal static partial nuint ggml_backend_dev_count();
    [LibraryImport(GgmlBase)] internal static partial IntPtr ggml_set_abort_callback(IntPtr callback);
    [LibraryImport(Llama)] internal static partial void llama_backend_init();
    [LibraryImport(Llama)] internal static partial void llama_log_set(IntPtr callback, IntPtr userData);
    [LibraryImport(Llama)] internal static partial byte* llama_print_system_info();
    [LibraryImport(Llama)] internal static partial byte* llama_version();
    [LibraryImport(Llama)] internal static partial nuint llama_max_parallel_sequences();
    [LibraryImport(Llama)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool llama_supports_gpu_offload();

    // ---- params ----
    [LibraryImport(Llama)] internal static partial LlamaModelParamsNative llama_model_default_params();
    [LibraryImport(Llama)] internal static partial LlamaContextParamsNative llama_context_default_params();
    [LibraryImport(Llama)] internal static partial LlamaSamplerChainParamsNative llama_sampler_chain_default_params();

    // ---- model ----
    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr llama_model_load_from_file(string path, LlamaModelParamsNative p);
    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void llama_model_save_to_file(IntPtr model, string path);
    [LibraryImport(Llama)] internal static partial void llama_model_free(IntPtr model);
    [LibraryImport(Llama)] internal static partial IntPtr llama_model_get_vocab(IntPtr model);
    [LibraryImport(Llama)] internal static partial int llama_model_n_ctx_train(IntPtr model);
    [LibraryImport(Llama)] internal static partial int llama_model_n_embd(IntPtr model);
    [LibraryImport(Llama)] internal static partial int llama_model_n_layer(IntPtr model);
    [LibraryImport(Llama)] internal static partial int llama_model_n_head(IntPtr model);
    [LibraryImport(Llama)] internal static partial int llama_model_n_head_kv(IntPtr model);
    [LibraryImport(Llama)] internal static partial ulong llama_model_n_params(IntPtr model);
    [LibraryImport(Llama)] internal static partial ulong llama_model_size(IntPtr model);
    [LibraryImport(Llama)] internal static partial int llama_model_desc(IntPtr model, byte* buf, nuint size);
    [LibraryImport(Llama)] internal static partial byte* llama_model_chat_template(IntPtr model, byte* name);
    [LibraryImport(Llama)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool llama_model_has_encoder(IntPtr model);
    [LibraryImport(Llama)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool llama_model_is_recurrent(IntPtr model);
    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int llama_model_meta_val_str(IntPtr model, string key, byte* buf, nuint size);

    // ---- vocab ----
    [LibraryImport(Llama)] internal static partial int llama_vocab_type(IntPtr vocab);
    [LibraryImport(Llama)] internal static partial int llama_vocab_n_tokens(IntPtr vocab);
    [LibraryImport(Llama)] internal static partial int llama_vocab_bos(IntPtr vocab);
    [LibraryImport(Llama)] internal static partial int llama_vocab_eos(IntPtr vocab);
    [LibraryImport(Llama)] internal static partial int llama_vocab_eot(IntPtr vocab);
    [LibraryImport(Llama)] internal static partial int llama_vocab_nl(IntPtr vocab);
    [LibraryImport(Llama)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool llama_vocab_get_add_bos(IntPtr vocab);
    [LibraryImport(Llama)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool llama_vocab_get_add_eos(IntPtr vocab);
    [LibraryImport(Llama)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool llama_vocab_is_eog(IntPtr vocab, int token);
    [LibraryImport(Llama)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool llama_vocab_is_control(IntPtr vocab, int token);
    [LibraryImport(Llama)] internal static partial byte* llama_vocab_get_text(IntPtr vocab, int token);
    [LibraryImport(Llama)] internal static partial int llama_tokenize(IntPtr vocab, byte* text, int textLen, int* tokens, int nTokensMax,
        [MarshalAs(UnmanagedType.U1)] bool addSpecial, [MarshalAs(UnmanagedType.U1)] bool parseSpecial);
    [LibraryImport(Llama)] internal static partial int llama_token_to_piece(IntPtr vocab, int token, byte* buf, int length, int lstrip,
        [MarshalAs(UnmanagedType.U1)] bool special);
    [LibraryImport(Llama)] internal static partial int llama_detokenize(IntPtr vocab, int* tokens, int nTokens, byte* text, int textLenMax,
        [MarshalAs(UnmanagedType.U1)] bool removeSpecial, [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);
    [LibraryImport(Llama)] internal static partial int llama_chat_apply_template(byte* tmpl, LlamaChatMessageNative* chat, nuint nMsg,
        [MarshalAs(UnmanagedType.U1)] bool addAssistant, byte* buf, int length);
    [LibraryImport(Llama)] internal static partial int llama_chat_builtin_templates(byte** output, nuint len);

    // ---- context ----
    [LibraryImport(Llama)] internal static partial IntPtr llama_init_from_model(IntPtr model, LlamaContextParamsNative p);
    [LibraryImport(Llama)] internal static partial void llama_free(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial uint llama_n_ctx(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial uint llama_n_ctx_seq(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial uint llama_n_batch(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial uint llama_n_ubatch(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial uint llama_n_seq_max(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial int llama_pooling_type(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial void llama_set_n_threads(IntPtr ctx, int nThreads, int nThreadsBatch);
    [LibraryImport(Llama)] internal static partial void llama_set_embeddings(IntPtr ctx, [MarshalAs(UnmanagedType.U1)] bool embeddings);
    [LibraryImport(Llama)] internal static partial void llama_set_abort_callback(IntPtr ctx, IntPtr cb, IntPtr data);
    [LibraryImport(Llama)] internal static partial LlamaBatchNative llama_batch_init(int nTokens, int embd, int nSeqMax);
    [LibraryImport(Llama)] internal static partial void llama_batch_free(LlamaBatchNative batch);
    [LibraryImport(Llama)] internal static partial int llama_decode(IntPtr ctx, LlamaBatchNative batch);
    [LibraryImport(Llama)] internal static partial void llama_synchronize(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial float* llama_get_logits_ith(IntPtr ctx, int i);
    [LibraryImport(Llama)] internal static partial float* llama_get_embeddings_ith(IntPtr ctx, int i);
    [LibraryImport(Llama)] internal static partial float* llama_get_embeddings_seq(IntPtr ctx, int seqId);

    // ---- memory (KV cache) ----
    [LibraryImport(Llama)] internal static partial IntPtr llama_get_memory(IntPtr ctx);
    [LibraryImport(Llama)] internal static partial void llama_memory_clear(IntPtr mem, [MarshalAs(UnmanagedType.U1)] bool data);
    [LibraryImport(Llama)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool llama_memory_seq_rm(IntPtr mem, int seqId, int p0, int p1);
    [LibraryImport(Llama)] internal static partial void llama_memory_seq_cp(IntPtr mem, int src, int dst, int p0, int p1);
    [LibraryImport(Llama)] internal static partial int llama_memory_seq_pos_min(IntPtr mem, int seqId);
    [LibraryImport(Llama)] internal static partial int llama_memory_seq_pos_max(IntPtr mem, int seqId);

    // ---- state ----
    [LibraryImport(Llama)] internal static partial nuint llama_state_seq_get_size(IntPtr ctx, int seqId);
    [LibraryImport(Llama)] internal static partial nuint llama_state_seq_get_data(IntPtr ctx, byte* dst, nuint size, int seqId);
    [LibraryImport(Llama)] internal static partial nuint llama_state_seq_set_data(IntPtr ctx, byte* src, nuint size, int destSeqId);

    // ---- samplers ----
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_chain_init(LlamaSamplerChainParamsNative p);
    [LibraryImport(Llama)] internal static partial void llama_sampler_chain_add(IntPtr chain, IntPtr smpl);
    [LibraryImport(Llama)] internal static partial int llama_sampler_chain_n(IntPtr chain);
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_init_greedy();
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_init_dist(uint seed);
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_init_top_k(int k);
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_init_top_p(float p, nuint minKeep);
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_init_min_p(float p, nuint minKeep);
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_init_temp(float t);
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_init_penalties(int nVocab, int lastN, float repeat, float freq, float present);
    [LibraryImport(Llama)] internal static partial int llama_sampler_sample(IntPtr smpl, IntPtr ctx, int idx);
    [LibraryImport(Llama)] internal static partial void llama_sampler_accept(IntPtr smpl, int token);
    [LibraryImport(Llama)] internal static partial void llama_sampler_reset(IntPtr smpl);
    [LibraryImport(Llama)] internal static partial void llama_sampler_free(IntPtr smpl);
    [LibraryImport(Llama)] internal static partial IntPtr llama_sampler_clone(IntPtr smpl);
    [LibraryImport(Llama)] internal static partial uint llama_sampler_get_seed(IntPtr smpl);

    // ---- LoRA ----
    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr llama_adapter_lora_init(IntPtr model, string path);
    [LibraryImport(Llama)] internal static partial void llama_adapter_lora_free(IntPtr adapter);
    [LibraryImport(Llama)] internal static partial int llama_set_adapters_lora(IntPtr ctx, IntPtr* adapters, nuint n, float* scales);

    // ---- training (stock API) ----
    [LibraryImport(Llama)] internal static partial void llama_opt_init(IntPtr ctx, IntPtr model, LlamaOptParamsNative p);
    [LibraryImport(Llama)] internal static partial void llama_opt_epoch(IntPtr ctx, IntPtr dataset, IntPtr resultTrain, IntPtr resultEval,
        long idataSplit, IntPtr callbackTrain, IntPtr callbackEval);
    [LibraryImport(GgmlBase)] internal static partial IntPtr ggml_opt_dataset_init(int typeData, int typeLabel, long neDatapoint, long neLabel, long ndata, long ndataShard);
    [LibraryImport(GgmlBase)] internal static partial void ggml_opt_dataset_free(IntPtr dataset);
    [LibraryImport(GgmlBase)] internal static partial IntPtr ggml_opt_dataset_data(IntPtr dataset);
    [LibraryImport(GgmlBase)] internal static partial IntPtr ggml_opt_dataset_labels(IntPtr dataset);
    [LibraryImport(GgmlBase)] internal static partial void* ggml_get_data(IntPtr tensor);
    [LibraryImport(GgmlBase)] internal static partial IntPtr ggml_opt_result_init();
    [LibraryImport(GgmlBase)] internal static partial void ggml_opt_result_free(IntPtr result);
    [LibraryImport(GgmlBase)] internal static partial void ggml_opt_result_reset(IntPtr result);
    [LibraryImport(GgmlBase)] internal static partial void ggml_opt_result_loss(IntPtr result, double* loss, double* unc);
    [LibraryImport(GgmlBase)] internal static partial GgmlOptOptimizerParamsNative ggml_opt_get_default_optimizer_params(IntPtr ud);
}

/// <summary>libc bits that .NET does not forward to the native environment.</summary>
internal static partial class LibC
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int setenv(string name, string value, int overwrite);
}
