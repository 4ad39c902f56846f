using System.Text;
using ActivityCrm.Data.Activities;
using CsvHelper;

namespace ActivityCrm.Tests.ActivityBrowser;

/// <summary>The CSV an analyst opens in a spreadsheet: every awkward value survives, no cell runs as a formula.</summary>
public sealed class ActivityCsvTests(BrowseData data) : IClassFixture<BrowseData>
{
    private static ActivityRow Row(string description, string? content = null, string? metadata = null) => new()
    {
        Id = Guid.NewGuid(), Timestamp = new DateTimeOffset(2026, 3, 8, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_990),
        CreatedAt = new DateTimeOffset(2026, 3, 9, 1, 0, 0, TimeSpan.FromHours(2)), EventType = "NOTE_ADDED", EventCategory = "MANUAL",
        LeadId = Guid.NewGuid(), LeadAirtableId = "recABC", LeadName = "Zoë O'Brien", LeadEmail = "zoe@example.com", LeadDeleted = true,
        Description = description, MessageContent = content, Metadata = metadata, Source = "ui:note-add", ActorType = "human", ActorName = "Dana Reyes",
    };

    private static async Task<(byte[] Bytes, List<string[]> Records)> WriteAsync(IEnumerable<ActivityRow> rows)
    {
        using var ms = new MemoryStream();
        await ActivityCsv.WriteAsync(rows.ToAsyncEnumerable(), ms);
        var bytes = ms.ToArray();
        return (bytes, Parse(bytes));
    }

    public static List<string[]> Parse(byte[] bytes)
    {
        using var reader = CsvReader.Create(new MemoryStream(bytes), new CsvReaderOptions { HasHeader = false }, false);
        var records = new List<string[]>();
        while (reader.Read()) records.Add(Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray());
        return records;
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("commas, inside, it", "commas, inside, it")]
    [InlineData("say \"hello\" twice \"\"", "say \"hello\" twice \"\"")]
    [InlineData("two\nlines", "two\nlines")]
    [InlineData("windows\r\nline", "windows\r\nline")]
    [InlineData("Zoë, 東京, emoji 🎉, Ünïcödé", "Zoë, 東京, emoji 🎉, Ünïcödé")]
    [InlineData("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")")]
    [InlineData("+1 408 555 1234", "'+1 408 555 1234")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1:A2)", "'@SUM(A1:A2)")]
    [InlineData("\tcmd", "'\tcmd")]
    [InlineData("\rcmd", "'\rcmd")]
    [InlineData("a = b + c", "a = b + c")]
    public async Task A_text_cell_comes_back_as_written_and_a_formula_is_neutralised(string description, string expected)
    {
        var (_, records) = await WriteAsync([Row(description, content: description)]);

        var header = records[0];
        Assert.Equal(expected, records[1][Array.IndexOf(header, "description")]);
        Assert.Equal(expected, records[1][Array.IndexOf(header, "message_content")]);
    }

    [Fact]
    public async Task The_file_has_a_bom_a_fixed_header_crlf_records_utc_times_json_metadata_and_empty_nulls()
    {
        var row = Row("Note added", metadata: """{"note": "call \"back\", please", "n": 1}""");

        var (bytes, records) = await WriteAsync([row]);

        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes[3..]);
        Assert.StartsWith(string.Join(',', ActivityCsv.Columns) + "\r\n", text);
        Assert.EndsWith("\r\n", text);
        Assert.Equal(["id", "timestamp", "created_at", "event_type", "event_category", "lead_id", "lead_airtable_id", "lead_name", "lead_email",
            "lead_deleted", "client_id", "description", "message_content", "metadata", "source", "execution_id", "actor_type", "actor_id",
            "actor_name", "created_by", "correlation_id", "related_entity_type", "related_entity_id", "idempotency_key", "redacted_at",
            "redaction_reason"], records[0]);
        var r = records[1].Select((v, i) => (records[0][i], v)).ToDictionary(x => x.Item1, x => x.v);
        Assert.Equal(row.Id.ToString(), r["id"]);
        Assert.Equal("2026-03-08T23:59:59.999999Z", r["timestamp"]);
        Assert.Equal("2026-03-08T23:00:00.000000Z", r["created_at"]);
        Assert.Equal("""{"note": "call \"back\", please", "n": 1}""", r["metadata"]);
        Assert.Equal("Zoë O'Brien", r["lead_name"]);
        Assert.Equal("true", r["lead_deleted"]);
        Assert.Equal(("", "", ""), (r["client_id"], r["execution_id"], r["redacted_at"]));
    }

    [Fact]
    public async Task A_long_export_keeps_every_row_in_order_while_a_worker_formats_them()
    {
        var rows = Enumerable.Range(0, 60_000).Select(i => Row(i % 7 == 0 ? $"=row {i}" : $"row {i}, with \"quotes\"\nand a line")).ToList();

        var (_, records) = await WriteAsync(rows);

        Assert.Equal(rows.Count + 1, records.Count);
        Assert.Equal(rows.Select(r => r.Id.ToString()), records.Skip(1).Select(r => r[0]));
        Assert.Equal("'=row 59997", records[59_998][11]);
    }

    [Fact]
    public async Task An_export_holds_every_matching_event_in_the_filters_order_and_only_those()
    {
        var filter = data.Filter("eventCategory=SMS&sort=oldest") with { Limit = 5, Cursor = null };
        using var ms = new MemoryStream();

        var n = await ActivityCsv.ExportAsync(data.DataSource, filter, ms, data.Now);

        var expected = await data.AllPagesAsync(filter);
        var records = Parse(ms.ToArray());
        Assert.Equal(expected.Count, n);
        Assert.Equal(expected.Select(e => e.Id.ToString()), records.Skip(1).Select(r => r[0]));
        Assert.True(expected.Count > 5, "more rows than one page");
    }

    [Fact]
    public async Task A_redacted_event_is_exported_without_its_content_but_with_when_and_why()
    {
        using var ms = new MemoryStream();
        await ActivityCsv.ExportAsync(data.DataSource, new ActivityFilter { EventTypes = ["NOTE_ADDED"] }, ms, data.Now);

        var records = Parse(ms.ToArray());
        var row = records.Single(r => r[0] == data.RedactedId.ToString());
        var h = records[0];
        Assert.Equal(("[redacted]", "", "contained a phone number"), (row[Array.IndexOf(h, "description")], row[Array.IndexOf(h, "message_content")], row[Array.IndexOf(h, "redaction_reason")]));
        Assert.EndsWith("Z", row[Array.IndexOf(h, "redacted_at")]);
    }
}
