using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ActivityCrm.Data.Migrations
{
    /// <inheritdoc />
    public partial class Health_SourceStats : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "alert_state",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    key = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    title = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    detail = table.Column<string>(type: "text", nullable: false),
                    opened_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    clear_since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resolved_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resolved_detail = table.Column<string>(type: "text", nullable: true),
                    open_sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resolve_sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    send_failures = table.Column<int>(type: "integer", nullable: false),
                    delivery = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    instance = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_alert_state", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_alert_state_opened",
                table: "alert_state",
                column: "opened_at",
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "ux_alert_state_open_key",
                table: "alert_state",
                column: "key",
                unique: true,
                filter: "resolved_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "alert_state");
        }
    }
}
