using CsvHelper;

namespace ActivityCrm.Data.Analytics;

// The rows each panel shows are the rows its CSV has: page and download read the same records
// ([CsvRecord]: CsvHelper generates their writers at compile time).

/// <param name="Scope">overall, campaign or week.</param>
/// <param name="Key">"" for overall, the campaign key, or the ISO week (2026-W10).</param>
[CsvRecord]
public sealed partial record ReplyRateRow(string Scope, string Key, string Label, long Journeys, long RepliedWithin24h, double? Rate)
{
    public static ReplyRateRow Of(string scope, string key, string label, long journeys, long replied) =>
        new(scope, key, label, journeys, replied, journeys == 0 ? null : (double)replied / journeys);
}

public sealed record ReplyRateResult(ReplyRateRow Overall, IReadOnlyList<ReplyRateRow> ByCampaign, IReadOnlyList<ReplyRateRow> ByWeek)
{
    public IEnumerable<ReplyRateRow> Rows => [Overall, .. ByCampaign, .. ByWeek];
}

/// <param name="CampaignKey">"" for the sum over all campaigns.</param>
/// <param name="DropOff">Share of the previous stage's journeys that did not reach this one (null for the first stage or an empty previous stage).</param>
[CsvRecord]
public sealed partial record FunnelStageRow(string CampaignKey, string Campaign, int StageOrder, string Stage, long Journeys, double? DropOff);

public sealed record FunnelDropOff(string FromStage, string ToStage, long Lost, double Rate);

public sealed record FunnelResult(IReadOnlyList<FunnelStageRow> Rows)
{
    public static readonly IReadOnlyList<string> Stages = ["Enrolled", "Message sent", "Delivered", "Replied", "Booked"];
    public const string AllCampaigns = "All campaigns";

    public IReadOnlyList<FunnelStageRow> Total => Rows.Where(r => r.CampaignKey == "").ToList();
    public IEnumerable<IGrouping<string, FunnelStageRow>> ByCampaign => Rows.Where(r => r.CampaignKey != "").GroupBy(r => r.CampaignKey);

    /// <summary>The stage transition losing the largest share of journeys ("which campaign stage has the highest drop-off?").</summary>
    public FunnelDropOff? HighestDropOff(string campaignKey = "")
    {
        var stages = Rows.Where(r => r.CampaignKey == campaignKey).OrderBy(r => r.StageOrder).ToList();
        FunnelDropOff? best = null;
        for (var i = 1; i < stages.Count; i++)
            if (stages[i].DropOff is { } rate && (best is null || rate > best.Rate))
                best = new(stages[i - 1].Stage, stages[i].Stage, stages[i - 1].Journeys - stages[i].Journeys, rate);
        return best;
    }
}

[CsvRecord]
public sealed partial record CampaignOutcomeRow(string CampaignKey, string Campaign, long Booked, long OptedOut);

[CsvRecord]
public sealed partial record ReplyTimeBucketRow(int Order, string Bucket, long Journeys);

/// <param name="NotReplied">Journeys in the cohort with no reply yet (not in any bucket).</param>
public sealed record ReplyTimeResult(IReadOnlyList<ReplyTimeBucketRow> Buckets, long NotReplied)
{
    public static readonly IReadOnlyList<(string Label, TimeSpan Below)> Edges =
    [
        ("< 5 min", TimeSpan.FromMinutes(5)), ("5–30 min", TimeSpan.FromMinutes(30)), ("30 min–2 h", TimeSpan.FromHours(2)),
        ("2–24 h", TimeSpan.FromHours(24)), ("1–7 days", TimeSpan.FromDays(7)), ("> 7 days", TimeSpan.MaxValue),
    ];
    public const string NoReplyBucket = "No reply";
    public IEnumerable<ReplyTimeBucketRow> Rows => [.. Buckets, new(Buckets.Count, NoReplyBucket, NotReplied)];
}

[CsvRecord]
public sealed partial record DayCategoryRow(DateOnly Day, string Category, long Events);

[CsvRecord]
public sealed partial record SourceCountRow(string Source, long Events);

/// <param name="DeadLetters">Requests from this source kept in ingestion_failures (rejected, not stored).</param>
/// <param name="FailureRate">MESSAGE_FAILED / (MESSAGE_SENT + MESSAGE_FAILED); null when the source sent nothing.</param>
[CsvRecord]
public sealed partial record SourceFailureRow(string Source, long Sent, long Failed, double? FailureRate, long DeadLetters)
{
    public static SourceFailureRow Of(string source, long sent, long failed, long deadLetters) =>
        new(source, sent, failed, sent + failed == 0 ? null : (double)failed / (sent + failed), deadLetters);
}

/// <param name="CaughtUpTo">Every event stored before this instant is in the figures.</param>
/// <param name="Bookmark">Changes exactly when the rollups took in new events (a page reloads its panels then).</param>
public sealed record AnalyticsFreshness(DateTimeOffset? CaughtUpTo, DateTimeOffset? RefreshedAt, DateTimeOffset? RebuiltAt, string? Bookmark);

public sealed record CampaignOption(string Key, string Name, Guid? ClientId);

public sealed record ClientOption(Guid Id, string Name);

public sealed record AnalyticsFilterOptions(IReadOnlyList<ClientOption> Clients, IReadOnlyList<CampaignOption> Campaigns);
