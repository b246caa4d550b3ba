using SharpFuzz;
using TunnelActors.Access.Policies;
using TunnelActors.Origin.Ingress;
using TunnelActors.Protocol;

// One harness, one target per run: `frames` (the frame decoder and every control payload parser),
// `mux` (a whole multiplexed session fed the input as its carrier's bytes), `access-yaml` (the edge's Access configuration: applications and zones) or `tunnel-yaml` (a
// named tunnel's config.yml with ingress rules). An input may be refused only with the error its
// reader documents (ProtocolException, AccessConfigException, TunnelConfigException); any other
// exception escaping is a crash afl-fuzz records. Without afl, the same binary replays one input
// from stdin, so a crash file is its own reproducer: `dotnet TunnelActors.Fuzz.dll frames < crash`.
var target = args.FirstOrDefault() ?? "frames";
Action<Stream> run = target switch
{
    "frames" => Targets.Frames,
    "mux" => MuxTarget.Run,
    "access-yaml" => Targets.AccessYaml,
    "tunnel-yaml" => Targets.TunnelYaml,
    _ => throw new ArgumentException($"unknown target {target}: frames, mux, access-yaml or tunnel-yaml"),
};
Fuzzer.OutOfProcess.Run(run);

internal static class Targets
{
    public static void Frames(Stream input)
    {
        var bytes = ReadAll(input);
        var reader = new FrameReader();
        var frames = new List<Frame>();
        try
        {
            // Fed in uneven chunks: the decoder must not care where reads split the input.
            for (var offset = 0; offset < bytes.Length;)
            {
                var chunk = Math.Min(bytes.Length - offset, 1 + bytes[offset] % 97);
                reader.Feed(bytes.AsSpan(offset, chunk), frames);
                offset += chunk;
            }
            reader.Complete();
        }
        catch (ProtocolException) { }
        foreach (var frame in frames)
        {
            try { ParsePayload(frame); }
            catch (ProtocolException) { }
            if (frame.Type == FrameType.Data) DataBuffers.Return(frame.Payload);
        }
    }

    private static void ParsePayload(Frame frame)
    {
        var payload = frame.Payload.Span;
        _ = frame.Type switch
        {
            FrameType.Open => OpenPayload.Parse(payload),
            FrameType.Register => RegisterPayload.Parse(payload),
            FrameType.Registered => RegisteredPayload.Parse(payload),
            FrameType.Rst or FrameType.GoAway => ReasonPayload.Parse(payload, frame.Type),
            _ => (object)frame,
        };
    }

    public static void AccessYaml(Stream input)
    {
        var text = ReadText(input);
        try
        {
            AccessConfig.Parse(text, "fuzz.yaml");
            AccessConfig.ParseZones(text, "fuzz.yaml");
        }
        catch (AccessConfigException) { }
    }

    public static void TunnelYaml(Stream input)
    {
        try { TunnelConfig.Parse(ReadText(input), "fuzz.yml"); }
        catch (TunnelConfigException) { }
    }

    public static byte[] ReadAll(Stream input)
    {
        using var memory = new MemoryStream();
        input.CopyTo(memory);
        return memory.ToArray();
    }

    private static string ReadText(Stream input) => System.Text.Encoding.UTF8.GetString(ReadAll(input));
}
