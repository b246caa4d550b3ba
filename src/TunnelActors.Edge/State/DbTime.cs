using System.Data.Common;

namespace TunnelActors.Edge.State;

/// <summary>
/// Instants as the control-plane tables store them: UTC round-trip text ("O"), which orders as
/// the instants do in both SQLite and PostgreSQL TEXT columns, so comparisons run in SQL.
/// </summary>
internal static class DbTime
{
    public static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("O");

    /// <summary>The instant in <paramref name="column"/>, or null when it is NULL.</summary>
    public static DateTimeOffset? Read(DbDataReader row, int column) => row.IsDBNull(column) ? null : DateTimeOffset.Parse(row.GetString(column));
}
