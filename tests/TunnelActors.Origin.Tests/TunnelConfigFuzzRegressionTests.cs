using TunnelActors.Origin.Ingress;

namespace TunnelActors.Origin.Tests;

/// <summary>Inputs ops/fuzz found that escaped `config.yml` parsing as something other than a TunnelConfigException.</summary>
public sealed class TunnelConfigFuzzRegressionTests
{
    [Theory]
    [InlineData(" :\0Z")]
    [InlineData("::\n{@%:\n\n\n4{")]
    [InlineData("!!'AU:WUUUUUUUUKUCUUUU]")]
    [InlineData("...\0..\u001b&aI\0\u00ffl\u007fu\u001a\u0010onnEtth")]
    public void MalformedConfig_IsATunnelConfigError(string yaml)
    {
        var error = Record.Exception(() => TunnelConfig.Parse(yaml, "config.yml"));

        Assert.IsType<TunnelConfigException>(error);
        Assert.StartsWith("config.yml", error.Message);
    }
}
