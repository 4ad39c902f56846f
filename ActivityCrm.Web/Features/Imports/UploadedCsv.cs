using Microsoft.AspNetCore.Components.Forms;

namespace ActivityCrm.Web.Features.Imports;

/// <summary>
/// An uploaded CSV copied, as it streams in, to a temporary file on the server: the import reads it from
/// there (as often as needed: dry run, then import) without ever holding it in memory. Deleted on dispose.
/// </summary>
public sealed class UploadedCsv : IDisposable
{
    private UploadedCsv(string name, string path, long size)
    {
        Name = name;
        Path = path;
        Size = size;
    }

    public string Name { get; }
    public string Path { get; }
    public long Size { get; }

    public static async Task<UploadedCsv> SaveAsync(IBrowserFile file, long maxBytes, Action<long> progress, CancellationToken ct)
    {
        if (file.Size > maxBytes)
            throw new ImportFileException($"{file.Name} is {file.Size / 1024.0 / 1024:N1} MB; the limit is {maxBytes / 1024 / 1024:N0} MB.");
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "activitycrm-imports");
        Directory.CreateDirectory(dir);
        var path = System.IO.Path.Combine(dir, $"{Guid.NewGuid():N}.csv");
        try
        {
            await using var source = file.OpenReadStream(maxBytes, ct);
            await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, ct)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), ct);
                total += read;
                progress(total);
            }
            return new UploadedCsv(file.Name, path, total);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    public FileStream OpenRead() => new(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);

    public void Dispose()
    {
        try { File.Delete(Path); } catch (IOException) { }
    }
}
