using HighPerf.Llama;

namespace HighPerf.Llama.Tests;

[Collection("tiny")]
public sealed class TokenizerTests(TinyModelFixture fx)
{
    private LlamaTokenizer Tok => fx.Model.Tokenizer;

    [Theory]
    [InlineData("The quick brown fox jumps over the lazy dog.")]
    [InlineData("You are in a maze.\nThere is a wall to the north.")]
    [InlineData("  leading spaces and   gaps  ")]
    [InlineData("café, naïve, Zürich — 東京 🙂 ∑x²")]
    [InlineData("tabs\tand\r\nCRLF")]
    [InlineData("x")]
    public void RoundTripIsExactWithoutBos(string text)
    {
        var toks = Tok.Tokenize(text, addSpecial: true);
        Assert.Equal(Tok.Bos, toks[0]);
        Assert.Equal(text, Tok.Detokenize(toks.AsSpan(1)));
    }

    [Fact]
    public void KnownWordsAreSingleTokensAndUnseenUnicodeUsesByteTokens()
    {
        var toks = Tok.Tokenize("The quick brown fox", addSpecial: false);
        Assert.Equal(["▁The", "▁quick", "▁brown", "▁fox"], toks.Select(Tok.GetTokenText));
        var uni = Tok.Tokenize("東", addSpecial: false);
        var texts = uni.Select(Tok.GetTokenText).ToArray();
        Assert.Contains("<0xE6>", texts); // 東 = E6 9D B1, none of which is in the vocab as a character
        Assert.Contains("<0x9D>", texts);
        Assert.Contains("<0xB1>", texts);
    }

    [Fact]
    public void InvalidTokenIdsThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Detokenize([1, Tok.VocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Detokenize([-5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.GetTokenText(Tok.VocabSize + 3));
    }

    [Fact]
    public void SpecialTokens()
    {
        Assert.Equal(1, Tok.Bos);
        Assert.Equal(2, Tok.Eos);
        Assert.True(Tok.IsEndOfGeneration(2));
        Assert.False(Tok.IsEndOfGeneration(300));
        Assert.Equal([Tok.Bos, 2], Tok.Tokenize("</s>", addSpecial: true, parseSpecial: true));
    }
}
