using System.CommandLine;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf version`: managed and native versions, and which kernel backends are usable here.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print versions and the available kernel backends.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"highperf {typeof(VersionCommand).Assembly.GetName().Version}");
            return 0;
        });
        return command;
    }
}
