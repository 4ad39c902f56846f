using CsvHelper;

namespace ActivityCrm.Web.Features.Imports;

/// <summary>How far an import is: bytes of the file read (for a progress bar) and data rows handled.</summary>
public sealed record ImportProgress(long BytesRead, long? TotalBytes, int Rows)
{
    public double? Percent => TotalBytes is > 0 ? Math.Min(100, 100.0 * BytesRead / TotalBytes.Value) : null;
}

/// <summary>One row an import could not use, with the row number a spreadsheet shows (the header is row 1).</summary>
public sealed record ImportRowProblem(int Row, string Reason, string Message);

/// <summary>The file cannot be imported at all (no header, required columns missing): nothing was written.</summary>
public sealed class ImportFileException(string message) : Exception(message);

/// <summary>
/// A CSV export read as a stream, one record at a time (CsvHelper's forward-only reader; nothing is held beyond
/// its buffer), with columns found by any of their accepted names: case, spaces, underscores and punctuation are
/// ignored. The separator (, ; tab |) is detected from the first lines.
/// </summary>
public sealed class CsvFile : IDisposable
{
    /// <summary>One record may be this large (a Retry_Queue payload is at most 256 KB); an unclosed quote stops here.</summary>
    public const int MaxRecordBytes = 4 * 1024 * 1024;
    private readonly Stream _stream;
    private readonly CsvReader _csv;
    private readonly Dictionary<string, int> _columns = new();
    private readonly HashSet<long> _malformed = [];

    private CsvFile(Stream stream)
    {
        _stream = stream;
        var options = CsvReaderOptions.Default with
        {
            HasHeader = true, TrimWhitespace = true, MaxRecordSize = MaxRecordBytes,
            OnMalformedRecord = record => { lock (_malformed) if (_malformed.Count < 100_000) _malformed.Add(record.RecordNumber); },
        };
        _csv = CsvReader.Create(stream, options, true);
    }

    public IReadOnlyList<string> Headers { get; private set; } = [];

    /// <summary>The spreadsheet row of the current record: the header is row 1.</summary>
    public int Row => (int)_csv.RowNumber + 1;

    /// <summary>The current record broke the quoting rules; its fields may be wrong.</summary>
    public bool BadRow { get { lock (_malformed) return _malformed.Contains(_csv.RowNumber + 1); } }

    public static async Task<CsvFile> OpenAsync(Stream stream, string what)
    {
        var file = new CsvFile(stream);
        try
        {
            await file._csv.ReadHeaderAsync();
            var headers = file._csv.Headers.ToList();
            if (headers.Count == 0 || headers.All(string.IsNullOrWhiteSpace))
                throw new ImportFileException($"The file is empty or has no header row; a {what} export starts with a row of column names.");
            file.Headers = headers;
            for (var i = 0; i < headers.Count; i++) file._columns.TryAdd(Normalise(headers[i]), i);
        }
        catch (CsvFormatException e)
        {
            file.Dispose();
            throw new ImportFileException($"The file is not a readable CSV: {e.Message}");
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return file;
    }

    /// <summary>The index of the first column named like one of <paramref name="names"/>, in their order of preference.</summary>
    public int? Column(params string[] names)
    {
        foreach (var name in names)
            if (_columns.TryGetValue(Normalise(name), out var i)) return i;
        return null;
    }

    public async Task<bool> ReadAsync(CancellationToken ct = default)
    {
        try
        {
            return await _csv.ReadAsync(ct);
        }
        catch (CsvFormatException e)
        {
            throw new ImportFileException($"The file cannot be read past row {Row}: {e.Message}");
        }
    }

    /// <summary>The field, trimmed; null when the column is absent or the field empty.</summary>
    public string? Get(int? column) =>
        column is { } i && i < _csv.FieldCount && !_csv.IsEmpty(i) && _csv.GetString(i) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    public ImportProgress Progress(int rows) => new(_csv.ByteOffset, _stream.CanSeek ? _stream.Length : null, rows);

    public static string Normalise(string header) => new(header.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    public void Dispose() => _csv.Dispose();
}
