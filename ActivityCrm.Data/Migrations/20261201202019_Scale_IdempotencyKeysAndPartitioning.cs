using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ActivityCrm.Data.Migrations
{
    /// <inheritdoc />
    public partial class Scale_IdempotencyKeysAndPartitioning : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "activity_idempotency_keys",
                columns: table => new
                {
                    source = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    idempotency_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    activity_id = table.Column<Guid>(type: "uuid", nullable: false),
                    timestamp = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_activity_idempotency_keys", x => new { x.source, x.idempotency_key });
                });

            migrationBuilder.CreateIndex(
                name: "ix_activity_idempotency_keys_timestamp",
                table: "activity_idempotency_keys",
                column: "timestamp");

            // Every key already claimed by an event moves to the key table before the old unique index goes.
            migrationBuilder.Sql(@"
INSERT INTO activity_idempotency_keys (source, idempotency_key, activity_id, ""timestamp"")
SELECT source, idempotency_key, id, ""timestamp"" FROM lead_activity_log WHERE idempotency_key IS NOT NULL
ON CONFLICT DO NOTHING;
");

            migrationBuilder.DropIndex(
                name: "ux_activity_source_idempotency",
                table: "lead_activity_log");

            // Monthly range partitioning of lead_activity_log, as an option (Database:Partitioning=monthly or
            // `dotnet run --project ActivityCrm.Web -- partitioning enable`); see docs/scaling.md. Nothing here
            // changes an unpartitioned table: these only define the functions.
            migrationBuilder.Sql(@"
CREATE OR REPLACE FUNCTION activitycrm_ensure_activity_partitions(months_ahead int DEFAULT 3, from_month date DEFAULT NULL)
RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  m date;
  last_month date;
  pname text;
  created int := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'lead_activity_log'::regclass) THEN
    RETURN 0;
  END IF;
  -- Several app instances run this at start-up and every few hours: one at a time.
  PERFORM pg_advisory_xact_lock(hashtext('activitycrm_activity_partitions'));
  m := coalesce(from_month, date_trunc('month', now() AT TIME ZONE 'UTC')::date);
  last_month := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => months_ahead))::date;
  WHILE m <= last_month LOOP
    pname := 'lead_activity_log_' || to_char(m, 'YYYY_MM');
    IF to_regclass(pname) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF lead_activity_log FOR VALUES FROM (%L) TO (%L)', pname,
                     m::timestamp AT TIME ZONE 'UTC', (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      created := created + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN created;
END
$fn$;

CREATE OR REPLACE FUNCTION activitycrm_partition_activity_log(months_back int DEFAULT 24, months_ahead int DEFAULT 3)
RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  index_defs text[];
  constraint_defs text[];
  trigger_defs text[];
  def text;
  r record;
  cols text;
  first_month date;
  hash_def text;
  moved bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'lead_activity_log'::regclass) THEN
    PERFORM activitycrm_ensure_activity_partitions(months_ahead);
    RETURN 'already partitioned';
  END IF;
  LOCK TABLE lead_activity_log IN ACCESS EXCLUSIVE MODE;

  -- Everything defined on the table is read back from the catalog, so indexes, foreign keys and triggers
  -- added by later migrations carry over too.
  SELECT coalesce(array_agg(pg_get_indexdef(i.indexrelid)), '{}') INTO index_defs
    FROM pg_index i WHERE i.indrelid = 'lead_activity_log'::regclass AND NOT i.indisprimary;
  SELECT coalesce(array_agg(format('ALTER TABLE lead_activity_log ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid))), '{}')
    INTO constraint_defs FROM pg_constraint WHERE conrelid = 'lead_activity_log'::regclass AND contype IN ('f', 'c');
  SELECT coalesce(array_agg(pg_get_triggerdef(oid)), '{}') INTO trigger_defs
    FROM pg_trigger WHERE tgrelid = 'lead_activity_log'::regclass AND NOT tgisinternal;

  ALTER TABLE lead_activity_log RENAME TO lead_activity_log_unpartitioned;
  FOR r IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = 'lead_activity_log_unpartitioned'::regclass AND NOT i.indisprimary LOOP
    EXECUTE format('DROP INDEX %I', r.relname);
  END LOOP;
  FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = 'lead_activity_log_unpartitioned'::regclass AND contype = 'p' LOOP
    EXECUTE format('ALTER TABLE lead_activity_log_unpartitioned RENAME CONSTRAINT %I TO %I', r.conname, r.conname || '_unpartitioned');
  END LOOP;
  FOR r IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'lead_activity_log_unpartitioned'::regclass AND NOT tgisinternal LOOP
    EXECUTE format('DROP TRIGGER %I ON lead_activity_log_unpartitioned', r.tgname);
  END LOOP;

  CREATE TABLE lead_activity_log (LIKE lead_activity_log_unpartitioned INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS)
    PARTITION BY RANGE (""timestamp"");
  -- A primary key on a partitioned table must contain the partition key.
  ALTER TABLE lead_activity_log ADD CONSTRAINT pk_lead_activity_log PRIMARY KEY (id, ""timestamp"");

  SELECT greatest(date_trunc('month', coalesce(min(""timestamp""), now()) AT TIME ZONE 'UTC'),
                  date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => months_back))::date
    INTO first_month FROM lead_activity_log_unpartitioned;
  PERFORM activitycrm_ensure_activity_partitions(months_ahead, first_month);
  -- Anything older than the first monthly partition; the check lets new partitions skip scanning it.
  EXECUTE format('CREATE TABLE lead_activity_log_default PARTITION OF lead_activity_log (CONSTRAINT ck_lead_activity_log_default_older CHECK (""timestamp"" < %L)) DEFAULT',
                 first_month::timestamp AT TIME ZONE 'UTC');

  -- Rows move as they are (content_hash included): the triggers are created after the copy.
  SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
    FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'lead_activity_log_unpartitioned' AND is_generated = 'NEVER';
  EXECUTE format('INSERT INTO lead_activity_log (%s) SELECT %s FROM lead_activity_log_unpartitioned', cols, cols);
  GET DIAGNOSTICS moved = ROW_COUNT;

  FOREACH def IN ARRAY index_defs LOOP EXECUTE def; END LOOP;
  FOREACH def IN ARRAY constraint_defs LOOP EXECUTE def; END LOOP;

  -- The content-hash function takes the table's row type; it moves to the new table's.
  SELECT pg_get_functiondef(p.oid) INTO hash_def FROM pg_proc p
    WHERE p.proname = 'activity_content_hash' AND p.proargtypes[0] = 'lead_activity_log_unpartitioned'::regtype;
  IF hash_def IS NOT NULL THEN
    EXECUTE 'DROP FUNCTION activity_content_hash(lead_activity_log_unpartitioned)';
    EXECUTE replace(hash_def, 'lead_activity_log_unpartitioned', 'lead_activity_log');
  END IF;
  FOREACH def IN ARRAY trigger_defs LOOP EXECUTE def; END LOOP;

  DROP TABLE lead_activity_log_unpartitioned;
  RETURN format('partitioned: %s events moved into monthly partitions from %s', moved, first_month);
END
$fn$;
");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(@"
DROP FUNCTION IF EXISTS activitycrm_partition_activity_log(int, int);
DROP FUNCTION IF EXISTS activitycrm_ensure_activity_partitions(int, date);
");

            migrationBuilder.DropTable(
                name: "activity_idempotency_keys");

            migrationBuilder.CreateIndex(
                name: "ux_activity_source_idempotency",
                table: "lead_activity_log",
                columns: new[] { "source", "idempotency_key" },
                unique: true);
        }
    }
}
