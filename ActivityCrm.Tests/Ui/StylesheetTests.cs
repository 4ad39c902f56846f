using System.Text.RegularExpressions;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.Ui;

/// <summary>
/// app.css is one file that every feature adds a section to. A block left open swallows the sections after
/// it: the browser then applies the activity browser's styles only inside a phone-width media query, and the
/// lead's name and email run into each other on a desktop. These checks catch that before a user does.
/// </summary>
public sealed class StylesheetTests
{
    private static readonly string Css = File.ReadAllText(RepoRoot.Combine("ActivityCrm.Web", "wwwroot", "app.css"));

    [Fact]
    public void Every_block_of_app_css_is_closed_and_every_comment_ends()
    {
        Assert.True(Css.Split("/*").Length == Css.Split("*/").Length, "app.css has a comment that never ends");
        var depth = Lines().Sum(l => l.Text.Count(c => c == '{') - l.Text.Count(c => c == '}'));
        Assert.True(depth == 0, $"app.css ends with {depth} block(s) still open");
    }

    [Fact]
    public void Feature_sections_start_at_the_top_level_not_inside_another_sections_media_query()
    {
        // A rule written at the start of a line (not indented) is meant for every width.
        var nested = Lines().Where(l => l.DepthBefore > 0 && l.Text.Length > 0 && !char.IsWhiteSpace(l.Text[0]) && l.Text[0] != '}')
            .Select(l => $"line {l.Line}: {l.Text}").Take(5).ToList();
        Assert.True(nested.Count == 0, "These rules sit inside an unclosed block above them:\n" + string.Join("\n", nested));
    }

    /// <summary>Each line with comments blanked out, and how many blocks are open where it starts.</summary>
    private static IEnumerable<(int DepthBefore, int Line, string Text)> Lines()
    {
        var code = Regex.Replace(Css, @"/\*.*?\*/", m => new string('\n', m.Value.Count(c => c == '\n')), RegexOptions.Singleline);
        var depth = 0;
        var lines = code.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].TrimEnd();
            yield return (depth, i + 1, text);
            depth += text.Count(c => c == '{') - text.Count(c => c == '}');
        }
    }
}
