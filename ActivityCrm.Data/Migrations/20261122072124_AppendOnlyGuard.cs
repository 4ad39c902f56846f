using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ActivityCrm.Data.Migrations
{
    /// <inheritdoc />
    public partial class AppendOnlyGuard : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The history is append-only, enforced by the database so that no code path (ours, a script,
            // a psql session) can rewrite it. Two changes are allowed: linking an orphan to its lead, and
            // redaction (content blanked, never replaced). See docs/architecture.md#immutability.
            migrationBuilder.Sql(@"
CREATE OR REPLACE FUNCTION activity_content_hash(a lead_activity_log) RETURNS bytea
LANGUAGE sql STABLE AS $fn$
  SELECT sha256(convert_to(json_build_array(
    a.event_type, a.event_category, a.lead_airtable_id, a.client_id, a.description, a.message_content,
    a.metadata, a.source, a.execution_id, a.created_by, a.actor_type, a.actor_id, a.correlation_id,
    a.related_entity_type, a.related_entity_id, a.idempotency_key,
    to_char(a.""timestamp"" AT TIME ZONE 'UTC', 'YYYY-MM-DD""T""HH24:MI:SS.US""Z""'))::text, 'UTF8'))
$fn$;

CREATE OR REPLACE FUNCTION lead_activity_log_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.content_hash := activity_content_hash(NEW);
  RETURN NEW;
END
$fn$;

CREATE TRIGGER lead_activity_log_hash BEFORE INSERT ON lead_activity_log
  FOR EACH ROW EXECUTE FUNCTION lead_activity_log_before_insert();

CREATE OR REPLACE FUNCTION lead_activity_log_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  k text;
  v jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'lead_activity_log is append-only: DELETE is not allowed (event %)', OLD.id
      USING ERRCODE = 'restrict_violation';
  END IF;

  IF (NEW.id, NEW.event_type, NEW.event_category, NEW.lead_airtable_id, NEW.client_id, NEW.source,
      NEW.execution_id, NEW.created_by, NEW.actor_type, NEW.actor_id, NEW.correlation_id,
      NEW.related_entity_type, NEW.related_entity_id, NEW.idempotency_key, NEW.""timestamp"",
      NEW.created_at, NEW.content_hash)
     IS DISTINCT FROM
     (OLD.id, OLD.event_type, OLD.event_category, OLD.lead_airtable_id, OLD.client_id, OLD.source,
      OLD.execution_id, OLD.created_by, OLD.actor_type, OLD.actor_id, OLD.correlation_id,
      OLD.related_entity_type, OLD.related_entity_id, OLD.idempotency_key, OLD.""timestamp"",
      OLD.created_at, OLD.content_hash) THEN
    RAISE EXCEPTION 'lead_activity_log is append-only: event % cannot be changed', OLD.id
      USING ERRCODE = 'restrict_violation';
  END IF;

  IF NEW.lead_id IS DISTINCT FROM OLD.lead_id AND OLD.lead_id IS NOT NULL THEN
    RAISE EXCEPTION 'lead_activity_log is append-only: event % already belongs to a lead; only orphans can be linked', OLD.id
      USING ERRCODE = 'restrict_violation';
  END IF;

  IF (NEW.description, NEW.message_content, NEW.metadata, NEW.redacted_at, NEW.redacted_by, NEW.redaction_reason)
     IS DISTINCT FROM
     (OLD.description, OLD.message_content, OLD.metadata, OLD.redacted_at, OLD.redacted_by, OLD.redaction_reason) THEN
    IF NEW.redacted_at IS NULL OR coalesce(btrim(NEW.redaction_reason), '') = '' THEN
      RAISE EXCEPTION 'lead_activity_log is append-only: content of event % may only change by redaction with a reason', OLD.id
        USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.description IS DISTINCT FROM OLD.description AND NEW.description <> '[redacted]' THEN
      RAISE EXCEPTION 'lead_activity_log is append-only: redaction may only blank the description of event %', OLD.id
        USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.message_content IS DISTINCT FROM OLD.message_content AND NEW.message_content IS NOT NULL THEN
      RAISE EXCEPTION 'lead_activity_log is append-only: redaction may only blank the message of event %', OLD.id
        USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.metadata IS NOT NULL THEN
      IF OLD.metadata IS NULL OR jsonb_typeof(NEW.metadata) <> 'object' THEN
        RAISE EXCEPTION 'lead_activity_log is append-only: redaction may only blank metadata of event %', OLD.id
          USING ERRCODE = 'restrict_violation';
      END IF;
      FOR k, v IN SELECT key, value FROM jsonb_each(NEW.metadata) LOOP
        IF NOT (OLD.metadata ? k) OR (OLD.metadata -> k IS DISTINCT FROM v AND v <> '""[redacted]""'::jsonb) THEN
          RAISE EXCEPTION 'lead_activity_log is append-only: redaction may only blank metadata keys of event % (key %)', OLD.id, k
            USING ERRCODE = 'restrict_violation';
        END IF;
      END LOOP;
    END IF;
  END IF;

  RETURN NEW;
END
$fn$;

CREATE TRIGGER lead_activity_log_append_only BEFORE UPDATE OR DELETE ON lead_activity_log
  FOR EACH ROW EXECUTE FUNCTION lead_activity_log_guard();
");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(@"
DROP TRIGGER IF EXISTS lead_activity_log_append_only ON lead_activity_log;
DROP TRIGGER IF EXISTS lead_activity_log_hash ON lead_activity_log;
DROP FUNCTION IF EXISTS lead_activity_log_guard();
DROP FUNCTION IF EXISTS lead_activity_log_before_insert();
DROP FUNCTION IF EXISTS activity_content_hash(lead_activity_log);
");
        }
    }
}
