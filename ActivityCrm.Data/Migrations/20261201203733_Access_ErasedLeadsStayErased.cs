using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ActivityCrm.Data.Migrations
{
    /// <inheritdoc />
    public partial class Access_ErasedLeadsStayErased : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A lead erased on request stays erased: whatever writes to it later (the Airtable sync upserting
            // the same record, a script), its personal fields stay empty and erased_at stays set.
            migrationBuilder.Sql(@"
CREATE OR REPLACE FUNCTION leads_erased_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF OLD.erased_at IS NOT NULL THEN
    NEW.first_name := NULL;
    NEW.last_name := NULL;
    NEW.email := NULL;
    NEW.phone := NULL;
    NEW.company := NULL;
    NEW.title := NULL;
    NEW.erased_at := OLD.erased_at;
  END IF;
  RETURN NEW;
END
$fn$;

CREATE TRIGGER leads_erased_stay_erased BEFORE UPDATE ON leads
  FOR EACH ROW EXECUTE FUNCTION leads_erased_guard();
");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(@"
DROP TRIGGER IF EXISTS leads_erased_stay_erased ON leads;
DROP FUNCTION IF EXISTS leads_erased_guard();
");
        }
    }
}
