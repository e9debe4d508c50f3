namespace HighPerf.Cli.Tests;

[Collection("cli")]
public sealed class VersionCommandTests
{
    [Fact]
    public void Version_reports_the_native_kernel_library_and_llama_cpp()
    {
        var output = new StringWriter();
        var code = Program.BuildRoot().Parse(["version"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output, Error = new StringWriter() });
        Assert.Equal(0, code);
        var text = output.ToString();
        Assert.Contains("libhighperf 0.1.0", text);          // the native library shipped next to the app was found
        Assert.Contains("kernel backend by default: NativeCpu", text);
        Assert.Matches(@"llama\.cpp 0\.5\.0", text);          // the pinned release (DESIGN D2)
    }

    [Fact]
    public void Unknown_command_prints_usage_and_fails()
    {
        var error = new StringWriter();
        var code = Program.BuildRoot().Parse(["no-such-command"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.NotEqual(0, code);
        Assert.Contains("no-such-command", error.ToString());
    }
}
