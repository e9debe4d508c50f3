using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HighPerf.Gym.Tests.Dialogue;

/// <summary>A minimal OpenAI-compatible chat-completions server on 127.0.0.1 (HttpListener) for end-to-end tests of the
/// OpenAI client path without any external service. The reply is computed by <see cref="Reply"/> from the request's
/// messages; <see cref="FailFirst"/> requests get HTTP 500 and <see cref="Delay"/> delays every reply.</summary>
public sealed class FakeOpenAiServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public FakeOpenAiServer(Func<IReadOnlyList<(string Role, string Content)>, string> reply)
    {
        Reply = reply;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/v1");

    public Func<IReadOnlyList<(string Role, string Content)>, string> Reply { get; set; }

    public int FailFirst { get; set; }

    public int StatusForFailures { get; set; } = 500;

    public TimeSpan Delay { get; set; }

    public int Requests => Volatile.Read(ref _requests);

    public List<JsonNode> Bodies { get; } = [];

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(ctx));
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        try
        {
            var n = Interlocked.Increment(ref _requests);
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            var body = JsonNode.Parse(await reader.ReadToEndAsync().ConfigureAwait(false))!;
            lock (Bodies) Bodies.Add(body);
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay).ConfigureAwait(false);
            if (ctx.Request.Url!.AbsolutePath != "/v1/chat/completions")
            {
                await WriteAsync(ctx, 404, "{\"error\":{\"message\":\"not found\"}}").ConfigureAwait(false);
                return;
            }
            if (n <= FailFirst)
            {
                await WriteAsync(ctx, StatusForFailures, "{\"error\":{\"message\":\"simulated failure\",\"type\":\"server_error\"}}").ConfigureAwait(false);
                return;
            }
            var messages = body["messages"]!.AsArray().Select(m => (m!["role"]!.GetValue<string>(), ContentOf(m["content"]))).ToList();
            var content = Reply(messages);
            var response = new JsonObject
            {
                ["id"] = $"chatcmpl-{n}",
                ["object"] = "chat.completion",
                ["created"] = 1700000000,
                ["model"] = body["model"]?.GetValue<string>() ?? "fake",
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 2, ["total_tokens"] = 12 },
            };
            await WriteAsync(ctx, 200, response.ToJsonString()).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // client went away (timeout tests); nothing to do
        }
    }

    private static string ContentOf(JsonNode? node) => node switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray a => string.Concat(a.Select(p => p?["text"]?.GetValue<string>() ?? "")),
        _ => "",
    };

    private static async Task WriteAsync(HttpListenerContext ctx, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength64 = bytes.Length;
        await ctx.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        ctx.Response.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
