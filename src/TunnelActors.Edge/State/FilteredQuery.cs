using System.Text;

namespace TunnelActors.Edge.State;

/// <summary>
/// A SELECT whose filters are optional: each is added only when its value is given, so no
/// query carries a NULL parameter (PostgreSQL cannot type one in "@x IS NULL").
/// </summary>
internal sealed class FilteredQuery(string select)
{
    private readonly StringBuilder _sql = new StringBuilder(select).Append(" WHERE 1=1");
    private readonly List<(string, object?)> _parameters = new();

    public FilteredQuery Where(string clause, string name, object? value)
    {
        if (value is null) return this;
        _sql.Append(" AND ").Append(clause);
        _parameters.Add((name, value));
        return this;
    }

    /// <summary>The statement with <paramref name="orderBy"/> and a LIMIT of 1 to 1,000 rows, and its parameters.</summary>
    public (string Sql, (string, object?)[] Parameters) Build(string orderBy, int limit) =>
        ($"{_sql} ORDER BY {orderBy} LIMIT @limit", [.. _parameters, ("@limit", Math.Clamp(limit, 1, 1000))]);
}
