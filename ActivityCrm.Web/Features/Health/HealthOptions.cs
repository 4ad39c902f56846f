using ActivityCrm.Data.Health;

namespace ActivityCrm.Web.Features.Health;

/// <summary>Configuration section Health (see the README's "Health, lifecycle checks and alerts").</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>How often an open health page refreshes itself (pushed over the circuit, no browser polling).</summary>
    public int RefreshSeconds { get; set; } = 10;

    public QuietOptions Quiet { get; set; } = new();

    public LifecycleOptions Lifecycle { get; set; } = new();

    /// <summary>Ingestion latency percentiles cover the requests of this many last minutes (on this instance).</summary>
    public int LatencyWindowMinutes { get; set; } = 15;

    /// <summary>Capacity of the in-memory latency ring buffer (the newest samples win).</summary>
    public int LatencySamples { get; set; } = 8192;
}

public sealed class LifecycleOptions
{
    /// <summary>Events older than this are no longer checked for a missing follow-up.</summary>
    public int LookbackDays { get; set; } = 7;
}

/// <summary>Configuration section Alerts.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Slack-compatible incoming webhook (POST {"text": ..., "blocks": [...]}). Empty: incidents are only shown on the health page.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Seconds between checks.</summary>
    public int IntervalSeconds { get; set; } = 60;

    /// <summary>An incident resolves (one recovery message) only after its condition has stayed good this long, so a flapping condition is still one incident.</summary>
    public int ResolveAfterSeconds { get; set; } = 300;

    /// <summary>Dead letters alert: pending rejections received within this many minutes.</summary>
    public int DeadLetterWindowMinutes { get; set; } = 15;

    /// <summary>Lifecycle alert: more than this many events of one type waiting past their deadline.</summary>
    public int LifecycleGapThreshold { get; set; } = 20;

    /// <summary>Database alert after this many consecutive failed checks (one blip is not an outage).</summary>
    public int DatabaseFailuresBeforeAlert { get; set; } = 2;

    /// <summary>Whether quiet sources alert (the health page flags them either way).</summary>
    public bool QuietSources { get; set; } = true;

    /// <summary>Base URL for links in messages (e.g. https://crm.example.com); empty: no links.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Send Slack blocks besides the plain "text" (some Slack-compatible receivers only read "text").</summary>
    public bool IncludeBlocks { get; set; } = true;

    /// <summary>Prefix of every message, to tell environments apart.</summary>
    public string Name { get; set; } = "ActivityCrm";

    public int TimeoutSeconds { get; set; } = 10;
}
