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

    private static async Task<List<JsonElement>> Events(HttpClient http, string query)
    {
        var body = JsonDocument.Parse(await http.GetStringAsync("/api/audit" + query)).RootElement;
        return body.GetProperty("events").EnumerateArray().ToList();
    }
}
