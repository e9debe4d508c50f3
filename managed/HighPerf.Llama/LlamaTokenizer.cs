using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using HighPerf.Llama.Native;

namespace HighPerf.Llama;

/// <summary>
/// Tokenizer of a model. Exact round trip for SentencePiece vocabs:
/// <c>Detokenize(Tokenize(text, addSpecial: true)[1..]) == text</c> — detokenize without the BOS
/// (with a leading BOS llama.cpp keeps the artificial leading space).
/// </summary>
public sealed unsafe class LlamaTokenizer
{
    private readonly LlamaModel _model;

    internal LlamaTokenizer(LlamaModel model)
    {
        _model = model;
        var v = model.VocabPtr;
        VocabSize = NativeMethods.llama_vocab_n_tokens(v);
        Bos = NativeMethods.llama_vocab_bos(v);
        Eos = NativeMethods.llama_vocab_eos(v);
        Eot = NativeMethods.llama_vocab_eot(v);
        NewLine = NativeMethods.llama_vocab_nl(v);
        AddBos = NativeMethods.llama_vocab_get_add_bos(v);
        AddEos = NativeMethods.llama_vocab_get_add_eos(v);
        VocabType = NativeMethods.llama_vocab_type(v);
    }

    private IntPtr Vocab { get { _ = _model.Ptr; return _model.VocabPtr; } }

    public int VocabSize { get; }
    /// <summary>Beginning-of-sequence token, or −1.</summary>
    public int Bos { get; }
    /// <summary>End-of-sequence token, or −1.</summary>
    public int Eos { get; }
    /// <summary>End-of-turn token, or −1.</summary>
    public int Eot { get; }
    public int NewLine { get; }
    public bool AddBos { get; }
    public bool AddEos { get; }
    /// <summary>llama_vocab_type: 1 SPM, 2 BPE, 3 WPM, 4 UGM, 5 RWKV.</summary>
    public int VocabType { get; }

    /// <summary>Tokenizes UTF-8 text. <paramref name="addSpecial"/> adds BOS/EOS as the model asks;
    /// <paramref name="parseSpecial"/> turns control-token text (e.g. "&lt;/s&gt;") into control tokens.</summary>
    public int[] Tokenize(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        return Tokenize(bytes, addSpecial, parseSpecial);
    }

    /// <summary>Tokenizes UTF-8 bytes.</summary>
    public int[] Tokenize(ReadOnlySpan<byte> utf8, bool addSpecial = true, bool parseSpecial = false)
    {
        if (utf8.Length > int.MaxValue / 2) throw new ArgumentException("Text too long to tokenize.", nameof(utf8));
        int cap = utf8.Length + 8;
        var buf = new int[cap];
        fixed (byte* t = utf8)
        fixed (int* b = buf)
        {
            int n = NativeMethods.llama_tokenize(Vocab, t, utf8.Length, b, cap, addSpecial, parseSpecial);
            if (n == int.MinValue) throw new InvalidOperationException("Tokenization overflowed int32.");
            if (n < 0)
            {
                buf = new int[-n];
                fixed (int* b2 = buf) n = NativeMethods.llama_tokenize(Vocab, t, utf8.Length, b2, buf.Length, addSpecial, parseSpecial);
                if (n < 0) throw new InvalidOperationException($"llama_tokenize failed ({n}).");
            }
            return n == buf.Length ? buf : buf.AsSpan(0, n).ToArray();
        }
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless every token id is in [0, VocabSize).</summary>
    public void ValidateTokens(ReadOnlySpan<int> tokens, string paramName = "tokens")
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(paramName, tokens[i], $"Token id at index {i} is outside the vocabulary [0, {VocabSize}).");
        }
    }

    /// <summary>Converts tokens back to text. <paramref name="removeSpecial"/> drops a leading BOS / trailing EOS;
    /// <paramref name="unparseSpecial"/> renders control tokens as text.</summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = false)
        => Encoding.UTF8.GetString(DetokenizeBytes(tokens, removeSpecial, unparseSpecial));

    /// <summary>Like <see cref="Detokenize"/> but returns the raw UTF-8 bytes (a piece may end inside a character).</summary>
    public byte[] DetokenizeBytes(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = false)
    {
        ValidateTokens(tokens);
        if (tokens.IsEmpty) return [];
        int cap = Math.Max(64, tokens.Length * 8);
        var buf = ArrayPool<byte>.Shared.Rent(cap);
        try
        {
            fixed (int* t = tokens)
            {
                int n;
                fixed (byte* b = buf) n = NativeMethods.llama_detokenize(Vocab, t, tokens.Length, b, buf.Length, removeSpecial, unparseSpecial);
                if (n < 0)
                {
                    ArrayPool<byte>.Shared.Return(buf);
                    buf = ArrayPool<byte>.Shared.Rent(-n);
                    fixed (byte* b = buf) n = NativeMethods.llama_detokenize(Vocab, t, tokens.Length, b, buf.Length, removeSpecial, unparseSpecial);
                    if (n < 0) throw new InvalidOperationException($"llama_detokenize failed ({n}).");
                }
                return buf.AsSpan(0, n).ToArray();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>The UTF-8 bytes one token renders to (byte tokens give a single byte).</summary>
    public byte[] TokenToPieceBytes(int token, bool special = false)
    {
        ValidateTokens([token], nameof(token));
        Span<byte> buf = stackalloc byte[128];
        fixed (byte* b = buf)
        {
            int n = NativeMethods.llama_token_to_piece(Vocab, token, b, buf.Length, 0, special);
            if (n >= 0) return buf[..n].ToArray();
            var big = new byte[-n];
            fixed (byte* bb = big) n = NativeMethods.llama_token_to_piece(Vocab, token, bb, big.Length, 0, special);
            return big.AsSpan(0, Math.Max(0, n)).ToArray();
        }
    }

    /// <summary>The vocabulary entry of a token (e.g. "▁the", "&lt;0x0A&gt;").</summary>
    public string GetTokenText(int token)
    {
        ValidateTokens([token], nameof(token));
        return Marshal.PtrToStringUTF8((IntPtr)NativeMethods.llama_vocab_get_text(Vocab, token)) ?? "";
    }

    /// <summary>True for end-of-generation tokens (EOS, EOT, ...).</summary>
    public bool IsEndOfGeneration(int token) => (uint)token < (uint)VocabSize && NativeMethods.llama_vocab_is_eog(Vocab, token);

    /// <summary>True for control tokens.</summary>
    public bool IsControl(int token) => (uint)token < (uint)VocabSize && NativeMethods.llama_vocab_is_control(Vocab, token);
}

/// <summary>One chat message for <see cref="ChatTemplate.Apply"/>.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>llama.cpp's built-in chat templates (<c>llama_chat_apply_template</c>, no Jinja engine).</summary>
public static unsafe class ChatTemplate
{
    /// <summary>Names of the built-in templates (e.g. "chatml", "llama2", "llama3").</summary>
    public static IReadOnlyList<string> BuiltinTemplates()
    {
        LlamaNativeLibrary.EnsureInitialized();
        int n = NativeMethods.llama_chat_builtin_templates(null, 0);
        var ptrs = new IntPtr[Math.Max(0, n)];
        fixed (IntPtr* p = ptrs) n = NativeMethods.llama_chat_builtin_templates((byte**)p, (nuint)ptrs.Length);
        return ptrs.Take(n).Select(x => Marshal.PtrToStringUTF8(x) ?? "").ToArray();
    }

    /// <summary>
    /// Formats a conversation. <paramref name="template"/> is a built-in name ("chatml") or a template string that
    /// llama.cpp recognises; use <see cref="LlamaModel.ChatTemplate"/> for the model's own. Throws
    /// <see cref="NotSupportedException"/> when the template is not recognised.
    /// </summary>
    public static string Apply(string template, IReadOnlyList<ChatMessage> messages, bool addAssistantPrefix = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(template);
        ArgumentNullException.ThrowIfNull(messages);
        LlamaNativeLibrary.EnsureInitialized();
        var handles = new List<GCHandle>();
        try
        {
            byte* Pin(string s)
            {
                var arr = Encoding.UTF8.GetBytes(s + "\0");
                var h = GCHandle.Alloc(arr, GCHandleType.Pinned);
                handles.Add(h);
                return (byte*)h.AddrOfPinnedObject();
            }
            var msgs = new LlamaChatMessageNative[messages.Count];
            for (int i = 0; i < messages.Count; i++)
            {
                var m = messages[i] ?? throw new ArgumentException($"messages[{i}] is null", nameof(messages));
                ArgumentNullException.ThrowIfNull(m.Role);
                ArgumentNullException.ThrowIfNull(m.Content);
                msgs[i] = new LlamaChatMessageNative { Role = Pin(m.Role), Content = Pin(m.Content) };
            }
            var tmpl = Pin(template);
            int cap = Math.Max(256, messages.Sum(m => Encoding.UTF8.GetByteCount(m.Content) + 64) * 2);
            var buf = new byte[cap];
            fixed (LlamaChatMessageNative* mp = msgs)
            {
                int n;
                fixed (byte* b = buf) n = NativeMethods.llama_chat_apply_template(tmpl, mp, (nuint)msgs.Length, addAssistantPrefix, b, buf.Length);
                if (n < 0) throw new NotSupportedException($"Chat template not recognised by llama.cpp: '{(template.Length > 60 ? template[..60] + "…" : template)}'.");
                if (n > buf.Length)
                {
                    buf = new byte[n];
                    fixed (byte* b = buf) n = NativeMethods.llama_chat_apply_template(tmpl, mp, (nuint)msgs.Length, addAssistantPrefix, b, buf.Length);
                }
                return Encoding.UTF8.GetString(buf, 0, n);
            }
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }
}
