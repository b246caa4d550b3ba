using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>The audit trail through the admin API: decisions and sessions, filtered and paged, behind the admin token.</summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class AdminApiTests(EchoTunnelFixture fixture)
{
    private HttpClient Admin()
    {
        var http = fixture.Rig.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(fixture.Rig.DataDir, "admin-token")).Trim());
        return http;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    public async Task AdminApi_WithoutTheAdminToken_Refuses401(string? token)
    {
        using var http = fixture.Rig.Http();
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var response = await http.GetAsync("/api/audit");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("admin", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Audit_AfterASession_HasDecisionStartAndEndWithBytes()
    {
        await TcpExchange.RunAsync(fixture.AccessPort, 123_456, seed: 31, TimeSpan.FromSeconds(30));
        using var http = Admin();

        JsonElement end = default;
        for (var i = 0; i < 50; i++) // the end event is written as the relay finishes
        {
            var ends = await Events(http, "?kind=session_end&limit=50");
            end = ends.FirstOrDefault(e => e.GetProperty("detail").GetString()!.Contains("bytes_to_origin=123456"));
            if (end.ValueKind != JsonValueKind.Undefined) break;
            await Task.Delay(100);
        }

        Assert.NotEqual(JsonValueKind.Undefined, end.ValueKind);
        Assert.Contains("bytes_to_client=123456", end.GetProperty("detail").GetString());
        Assert.StartsWith("service-token:", end.GetProperty("identity").GetString());
        var decisions = await Events(http, "?kind=access_decision&limit=5");
        Assert.Contains(decisions, d => d.GetProperty("allowed").GetBoolean() && d.GetProperty("policy").GetString() == "dev service tokens");
        Assert.NotEmpty(await Events(http, "?kind=session_start&limit=1"));
    }

    [Fact]
    public async Task Audit_Paging_ReturnsOlderEventsAfterTheCursor()
    {
        for (var i = 0; i < 3; i++) await TcpExchange.RunAsync(fixture.AccessPort, 10, seed: i, TimeSpan.FromSeconds(30));
        using var http = Admin();

        var first = await Events(http, "?limit=2");
        var cursor = first[^1].GetProperty("id").GetInt64();
        var second = await Events(http, $"?limit=2&before={cursor}");

        Assert.Equal(2, first.Count);
        Assert.All(second, e => Assert.True(e.GetProperty("id").GetInt64() < cursor));
    }

    [Fact]
    public async Task Applications_ListsTheEmbeddedDevZone()
    {
        using var http = Admin();

        var body = JsonDocument.Parse(await http.GetStringAsync("/api/applications")).RootElement;

        Assert.Equal("*.site.test", body.GetProperty("applications")[0].GetProperty("domain").GetString());
    }

    [Fact]
    public async Task Tunnels_ShowLiveConnectionsAndStreams_AndAnOperatorCanCloseAConnection()
    {
        using var http = Admin();
        using var open = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await open.ConnectAsync(IPAddress.Loopback, fixture.AccessPort);
        await Carrier.EchoOnce(open, "hello");

        List<JsonElement> connections = [];
        // A connection being replaced (a busy machine can make a ping late) lists three or one for a moment: ask again.
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); connections.Count != 2 && waited.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(200))
            connections = (await Tunnels(http)).Single(t => t.GetProperty("tunnel").GetString() == EchoTunnelFixture.Hostname)
                .GetProperty("connections").EnumerateArray().ToList();
        Assert.Equal(2, connections.Count);
        var carrying = connections.Single(c => c.GetProperty("streams").GetArrayLength() > 0);
        var stream = carrying.GetProperty("streams")[0];
        Assert.StartsWith("service-token:", stream.GetProperty("identity").GetString());
        Assert.True(stream.GetProperty("bytesToOrigin").GetInt64() >= 5);
        var idle = connections.Single(c => c.GetProperty("id").GetString() != carrying.GetProperty("id").GetString());

        var close = await http.PostAsync($"/api/connections/{Uri.EscapeDataString(idle.GetProperty("id").GetString()!)}/close?reason=test", null);

        Assert.Equal(HttpStatusCode.OK, close.StatusCode);
        await Carrier.EchoOnce(open, "still here"); // the stream on the surviving connection carries on
        for (var i = 0; i < 100; i++) // the connector replaces the closed connection
        {
            var now = (await Tunnels(http)).Single(t => t.GetProperty("tunnel").GetString() == EchoTunnelFixture.Hostname);
            var ids = now.GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
            if (ids.Count == 2 && !ids.Contains(idle.GetProperty("id").GetString())) return;
            await Task.Delay(200);
        }
        Assert.Fail("the closed connection was not replaced");
    }

    [Fact]
    public async Task CloseConnection_Unknown_404()
    {
        using var http = Admin();

        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/connections/nope/close", null)).StatusCode);
    }

    private static async Task<List<JsonElement>> Tunnels(HttpClient http) =>
        JsonDocument.Parse(await http.GetStringAsync("/api/tunnels")).RootElement.GetProperty("tunnels").EnumerateArray().ToList();


    [Fact]
    public async Task Applications_CreatedThroughApi_TakeEffectAndCanBeDeleted()
    {
        using var http = Admin();
        const string definition = """
            { "name": "api-made", "domain": "api.site.test", "session_duration": "2h",
              "policies": [ { "name": "only the backup token", "decision": "service_auth", "include": [ { "service_token": "backup.access" } ] } ] }
            """;

        var put = await http.PutAsync("/api/applications", new StringContent(definition));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var listed = await http.GetStringAsync("/api/applications");
        Assert.Contains("api.site.test", listed);
        var refused = await Refusal("api.site.test");          // the exact application now decides: the dev token is not the backup token
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("no policy of 'api-made'", refused.Reason);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/api/applications/api-made")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Refusal("api.site.test")).Status); // back to the dev zone's policies: allowed, but nothing routes it
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("/api/applications/api-made")).StatusCode);
    }

    [Fact]
    public async Task Applications_InvalidDefinition_Refused400NamingTheField()
    {
        using var http = Admin();

        var put = await http.PutAsync("/api/applications", new StringContent("""{ "name": "bad", "domain": "x.site.test", "policies": [ { "name": "p", "decision": "allow", "include": [ { "emial": "a@b.c" } ] } ] }"""));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("unknown selector 'emial'", await put.Content.ReadAsStringAsync());
    }

    private async Task<(HttpStatusCode Status, string Reason)> Refusal(string hostname)
    {
        var (status, reason, _) = await fixture.Rig.UpgradeAsync(hostname, fixture.Rig.ServiceTokenHeaders());
        return (status, reason);
    }

    private static async Task<List<JsonElement>> Events(HttpClient http, string query)
    {
        var body = JsonDocument.Parse(await http.GetStringAsync("/api/audit" + query)).RootElement;
        return body.GetProperty("events").EnumerateArray().ToList();
    }
}
