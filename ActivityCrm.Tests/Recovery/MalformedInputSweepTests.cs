using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.Recovery;

/// <summary>
/// Everything a broken or hostile client might send to the ingestion endpoints: each answer is a 4xx with a
/// problem+json that says what is wrong, never a 5xx; nothing is stored; every authenticated rejection is in
/// the dead-letter store (exactly once).
/// </summary>
public sealed class MalformedInputSweepTests(AppFactory app) : IClassFixture<AppFactory>
{
    private const string Single = "/api/internal/log-activity", Batch = "/api/internal/log-activity/batch";

    public sealed record Case(string Name, string Url, byte[] Body, string? ContentType = "application/json", int Status = 400)
    {
        public override string ToString() => Name;
    }

    private static string Valid(string marker) => JsonSerializer.Serialize(EventPayloads.Sms("recSWEEP" + marker).With("executionId", marker), JsonSerializerOptions.Web);

    private static Case Json(string name, string json, string url = Single, int status = 400) => new(name, url, Encoding.UTF8.GetBytes(json), Status: status);

    private static readonly string[] StringFields =
    [
        "eventType", "eventCategory", "leadId", "leadAirtableId", "description", "messageContent", "source", "executionId", "createdBy",
        "timestamp", "actorType", "actorId", "correlationId", "relatedEntityType", "relatedEntityId", "idempotencyKey",
    ];

    public static IEnumerable<object[]> Cases()
    {
        var valid = Valid("base");
        // Truncated JSON, at several places.
        foreach (var cut in new[] { 1, 17, valid.Length / 2, valid.Length - 1 })
            yield return [Json($"truncated at {cut}", valid[..cut])];
        yield return [Json("truncated batch", "{\"events\": [" + valid, Batch)];
        // Wrong JSON types for every field (a later duplicate of a field would be refused as such, so the field is replaced).
        foreach (var field in StringFields)
        {
            foreach (var (label, value) in new[] { ("object", "{\"x\":1}"), ("array", "[1,2]"), ("boolean", "true") })
            {
                using var doc = JsonDocument.Parse(valid);
                var map = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
                map[field] = JsonDocument.Parse(value).RootElement.Clone();
                map["executionId"] = field == "executionId" ? map["executionId"] : $"type-{field}-{label}";
                yield return [Json($"{field} as {label}", JsonSerializer.Serialize(map))];
            }
        }
        foreach (var (label, value) in new[] { ("string", "\"a string\""), ("array", "[1,2]"), ("number", "42") })
            yield return [Json($"metadata as {label}", valid[..^1] .Replace("\"metadata\":", "\"metadata_old\":") + $",\"metadata\":{value}}}")];
        yield return [Json("leadId as number", Valid("num")[..^1] + ",\"leadId\":12345}")];
        // Huge strings.
        yield return [Json("description over 10,000 characters", Valid("huge-d")[..^1] .Replace("\"description\":", "\"d0\":") + $",\"description\":\"{new string('x', 10_001)}\"}}")];
        yield return [Json("messageContent over 100,000 characters", Valid("huge-m")[..^1].Replace("\"messageContent\":", "\"m0\":") + $",\"messageContent\":\"{new string('y', 100_001)}\"}}")];
        yield return [Json("source over 100 characters", Valid("huge-s")[..^1].Replace("\"source\":", "\"s0\":") + $",\"source\":\"n8n:{new string('z', 200)}\"}}")];
        yield return [Json("body over 256 KB", Valid("huge-b")[..^1] + $",\"padding\":\"{new string('p', 300 * 1024)}\"}}", status: 413)];
        yield return [Json("a 100,000-character property name", $"{{\"{new string('k', 100_000)}\":1}}")];
        // Deep nesting beyond MaxDepth 64.
        yield return [Json("metadata nested 70 deep", Valid("deep")[..^1].Replace("\"metadata\":", "\"m0\":") + ",\"metadata\":" + string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "1" + new string('}', 70) + "}")];
        yield return [Json("arrays nested 10,000 deep", new string('[', 10_000) + new string(']', 10_000))];
        yield return [Json("batch nested 100 deep", "{\"events\":[" + new string('[', 100) + new string(']', 100) + "]}", Batch)];
        // Invalid UTF-8.
        foreach (var (label, bytes) in new[] { ("0xFF", new byte[] { 0xFF }), ("overlong slash", new byte[] { 0xC0, 0xAF }), ("lone continuation", new byte[] { 0x80 }),
                     ("surrogate half", new byte[] { 0xED, 0xA0, 0x80 }), ("cut sequence", new byte[] { 0xE2, 0x82 }) })
        {
            var before = Encoding.UTF8.GetBytes(Valid("utf8-" + label)[..^1] .Replace("\"description\":", "\"d0\":") + ",\"description\":\"SMS ");
            yield return [new Case($"invalid UTF-8 ({label}) in a string", Single, [.. before, .. bytes, .. "\"}"u8.ToArray()])];
        }
        // NUL, raw and escaped, and unpaired surrogate escapes, in values and in metadata keys.
        yield return [new Case("raw NUL byte in a string", Single, [.. Encoding.UTF8.GetBytes(Valid("nul-raw")[..^1] + ",\"actorId\":\"a"), 0x00, .. "b\"}"u8.ToArray()])];
        yield return [new Case("raw NUL byte between tokens", Single, [.. Encoding.UTF8.GetBytes(Valid("nul-tok")[..^1]), 0x00, .. "}"u8.ToArray()])];
        foreach (var field in new[] { "description", "source", "eventType", "leadAirtableId", "idempotencyKey" })
            yield return [Json($"\\u0000 in {field}", Valid("nul-" + field)[..^1].Replace($"\"{field}\":", $"\"{field}_old\":") + $",\"{field}\":\"ab\\u0000cd\"}}")];
        yield return [Json("\\u0000 in a metadata value", Valid("nul-mv")[..^1].Replace("\"metadata\":", "\"m0\":") + ",\"metadata\":{\"note\":\"a\\u0000b\"}}")];
        yield return [Json("\\u0000 in a metadata key", Valid("nul-mk")[..^1].Replace("\"metadata\":", "\"m0\":") + ",\"metadata\":{\"no\\u0000te\":1}}")];
        yield return [Json("unpaired \\ud800 in description", Valid("sur-d")[..^1].Replace("\"description\":", "\"d0\":") + ",\"description\":\"x\\ud800y\"}")];
        yield return [Json("unpaired \\udc00 in metadata", Valid("sur-m")[..^1].Replace("\"metadata\":", "\"m0\":") + ",\"metadata\":{\"k\":\"\\udc00\"}}")];
        yield return [Json("a number PostgreSQL cannot hold in metadata", Valid("bignum")[..^1].Replace("\"metadata\":", "\"m0\":") + ",\"metadata\":{\"n\":1e400000}}")];
        yield return [Json("a 2,000-digit number in metadata", Valid("longnum")[..^1].Replace("\"metadata\":", "\"m0\":") + ",\"metadata\":{\"n\":" + new string('9', 2000) + "}}")];
        // SQL and script where they make the event invalid (in free text they are stored as text: see below).
        yield return [Json("SQL in eventType", Valid("sql-t")[..^1].Replace("\"eventType\":", "\"t0\":") + ",\"eventType\":\"MESSAGE_SENT'; DROP TABLE lead_activity_log; --\"}")];
        yield return [Json("SQL in source", Valid("sql-s")[..^1].Replace("\"source\":", "\"s0\":") + ",\"source\":\"n8n:x' OR '1'='1\"}")];
        yield return [Json("SQL in leadId", Valid("sql-l")[..^1] + ",\"leadId\":\"00000000-0000-0000-0000-000000000000' OR 1=1 --\"}")];
        yield return [Json("script in eventCategory", Valid("xss-c")[..^1].Replace("\"eventCategory\":", "\"c0\":") + ",\"eventCategory\":\"<script>alert(1)</script>\"}")];
        yield return [Json("SQL in timestamp", Valid("sql-ts")[..^1].Replace("\"timestamp\":", "\"ts0\":") + ",\"timestamp\":\"now()); DELETE FROM leads; --\"}")];
        // Wrong content types (the JSON is valid: it is kept, and replayable).
        foreach (var type in new[] { "text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x" })
            yield return [new Case($"content type {type}", Single, Encoding.UTF8.GetBytes(Valid("ct-" + type)), type, 415)];
        yield return [new Case("no content type", Single, Encoding.UTF8.GetBytes(Valid("ct-none")), null, 415)];
        yield return [new Case("batch as text/plain", Batch, Encoding.UTF8.GetBytes("[" + Valid("ct-batch") + "]"), "text/plain", 415)];
        // Empty and non-object bodies.
        yield return [Json("empty body", "")];
        yield return [Json("whitespace body", "   \n  ")];
        yield return [Json("empty batch body", "\t", Batch)]; // (an identical empty body is one dead letter, see DeadLetters)
        yield return [Json("array instead of object", "[" + Valid("arr") + "]")];
        foreach (var scalar in new[] { "\"a string\"", "42", "null", "true" })
            yield return [Json($"{scalar} instead of an object", scalar)];
        yield return [Json("batch events is a string", "{\"events\": \"nope\"}", Batch)];
        yield return [Json("batch events is empty", "{\"events\": []}", Batch)];
        yield return [Json("batch is an object without events", "{\"event\": [" + Valid("noevents") + "]}", Batch)];
        // Duplicate keys, at the top and nested.
        yield return [Json("duplicate eventType", Valid("dup-t")[..^1] + ",\"eventType\":\"MESSAGE_FAILED\"}")];
        yield return [Json("duplicate key in metadata", Valid("dup-m")[..^1].Replace("\"metadata\":", "\"m0\":") + ",\"metadata\":{\"phone\":\"1\",\"phone\":\"2\"}}")];
        yield return [Json("duplicate key in a batch item", "{\"events\":[" + Valid("dup-b")[..^1] + ",\"source\":\"n8n:other\"}]}", Batch)];
        yield return [Json("duplicate events key", "{\"events\":[],\"events\":[" + Valid("dup-e") + "]}", Batch)];
        // Timestamps.
        foreach (var ts in new[] { "2025-13-45T99:99:99Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2025-11-07T08:15:05", "1731000000" })
            yield return [Json($"timestamp {ts}", Valid("ts-" + ts)[..^1].Replace("\"timestamp\":", "\"ts0\":") + $",\"timestamp\":\"{ts}\"}}")];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_malformed_request_gets_a_clear_4xx_stores_nothing_and_is_kept_as_a_dead_letter(Case c)
    {
        using var client = app.ApiClient();
        var events = await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log");
        var deadLetters = await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures");
        var content = new ByteArrayContent(c.Body);
        if (c.ContentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);

        var response = await client.PostAsync(c.Url, content);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == c.Status, $"{c.Name}: expected {c.Status}, got {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), $"{c.Name}: the problem should say what is wrong");
        Assert.Equal(events, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log"));
        Assert.Equal(deadLetters + 1, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures"));
    }

    [Fact]
    public async Task Wrong_types_name_the_field_in_the_problem()
    {
        using var client = app.ApiClient();
        foreach (var field in StringFields)
        {
            using var doc = JsonDocument.Parse(Valid("named-" + field));
            var map = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
            map[field] = new[] { 1, 2 };
            var response = await client.PostAsJsonAsync(Single, map);
            var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.True(errors.TryGetProperty(field, out _), $"{field}: {errors}");
        }
    }

    [Fact]
    public async Task Without_a_valid_key_malformed_requests_get_401_and_are_not_dead_letters()
    {
        using var client = app.CreateClient();
        var before = await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures");
        foreach (var body in new[] { "{\"eventType\":", "", "[[[[", "\u0000" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(Single, new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(before, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures"));
    }

    [Fact]
    public async Task SQL_and_script_in_free_text_are_stored_as_text_exactly_and_harm_nothing()
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        const string hostile = "<script>alert('x')</script>'); DROP TABLE leads; -- \" OR 1=1; SELECT pg_sleep(10); ${jndi:ldap://x} {{7*7}}";
        var payload = EventPayloads.Sms(lead.AirtableId, hostile).With("description", hostile)
            .With("metadata", new Dictionary<string, object?> { ["note"] = hostile, ["a'; DROP TABLE x; --"] = 1 });

        var response = await client.PostAsJsonAsync(Single, payload);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid();
        Assert.Equal(hostile, await app.ScalarAsync<string>("SELECT description FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal(hostile, await app.ScalarAsync<string>("SELECT message_content FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal(hostile, await app.ScalarAsync<string>("SELECT metadata->>'note' FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.True(await app.ScalarAsync<long>("SELECT count(*) FROM leads") > 0);
    }
}
