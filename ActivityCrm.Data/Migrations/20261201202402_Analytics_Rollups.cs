using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ActivityCrm.Data.Migrations
{
    /// <inheritdoc />
    public partial class Analytics_Rollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "analytics_daily_counts",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    event_category = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    event_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    source = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    client_id = table.Column<Guid>(type: "uuid", nullable: true),
                    campaign_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    events = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_analytics_daily_counts", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "analytics_journeys",
                columns: table => new
                {
                    lead_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    campaign_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    client_id = table.Column<Guid>(type: "uuid", nullable: true),
                    enrolled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    first_sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    first_delivered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    first_reply_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    first_booked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    opted_out_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_analytics_journeys", x => new { x.lead_key, x.campaign_key });
                });

            migrationBuilder.CreateTable(
                name: "analytics_state",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    events_created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    events_id = table.Column<Guid>(type: "uuid", nullable: true),
                    refreshed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    caught_up_to = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    rebuilt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_analytics_state", x => x.id);
                });

            migrationBuilder.InsertData(
                table: "analytics_state",
                columns: new[] { "id", "caught_up_to", "events_created_at", "events_id", "rebuilt_at", "refreshed_at" },
                values: new object[] { 1, null, null, null, null, null });

            migrationBuilder.CreateIndex(
                name: "ix_activity_created",
                table: "lead_activity_log",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_analytics_daily_counts_campaign_key_day",
                table: "analytics_daily_counts",
                columns: new[] { "campaign_key", "day" });

            migrationBuilder.CreateIndex(
                name: "ix_analytics_daily_counts_client_id_day",
                table: "analytics_daily_counts",
                columns: new[] { "client_id", "day" });

            migrationBuilder.CreateIndex(
                name: "ux_analytics_daily_counts_key",
                table: "analytics_daily_counts",
                columns: new[] { "day", "event_category", "event_type", "source", "client_id", "campaign_key" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);

            migrationBuilder.CreateIndex(
                name: "ix_analytics_journeys_campaign_key_enrolled_at",
                table: "analytics_journeys",
                columns: new[] { "campaign_key", "enrolled_at" });

            migrationBuilder.CreateIndex(
                name: "ix_analytics_journeys_campaign_key_first_sent_at",
                table: "analytics_journeys",
                columns: new[] { "campaign_key", "first_sent_at" });

            migrationBuilder.CreateIndex(
                name: "ix_analytics_journeys_client_id_campaign_key",
                table: "analytics_journeys",
                columns: new[] { "client_id", "campaign_key" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "analytics_daily_counts");

            migrationBuilder.DropTable(
                name: "analytics_journeys");

            migrationBuilder.DropTable(
                name: "analytics_state");

            migrationBuilder.DropIndex(
                name: "ix_activity_created",
                table: "lead_activity_log");
        }
    }
}
