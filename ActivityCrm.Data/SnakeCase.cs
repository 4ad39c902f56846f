using System.Text;
using Microsoft.EntityFrameworkCore;

namespace ActivityCrm.Data;

/// <summary>Our stand-in for EFCore.NamingConventions (not on the package mirror): every table, column,
/// key, foreign key and index gets a snake_case name unless a configuration named it explicitly.</summary>
public static class SnakeCase
{
    public static string From(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var prevLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var nextLower = i + 1 < name.Length && char.IsLower(name[i + 1]) && i > 0 && char.IsUpper(name[i - 1]);
                if (prevLowerOrDigit || nextLower) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    public static void Apply(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            if (entity.GetTableName() is { } table && table == entity.ClrType.Name)
                entity.SetTableName(From(table));
            foreach (var property in entity.GetProperties())
            {
                var store = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
                if (property.GetColumnName(store) == property.Name)
                    property.SetColumnName(From(property.Name));
            }
        }
        // Constraint names derive from table names, so they are renamed after every table is.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var key in entity.GetKeys()) key.SetName(From(key.GetName()!));
            foreach (var fk in entity.GetForeignKeys()) fk.SetConstraintName(From(fk.GetConstraintName()!));
            foreach (var index in entity.GetIndexes()) index.SetDatabaseName(From(index.GetDatabaseName()!));
        }
    }
}
