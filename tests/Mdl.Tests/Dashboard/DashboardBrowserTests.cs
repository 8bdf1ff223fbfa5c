using Mdl.Goals;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Microsoft.Playwright;

namespace Mdl.Tests.Dashboard;

/// <summary>The Orleans dashboard, opened in a real headless Chromium, shows the silo and the goal grains.</summary>
[Collection(SiloCollection.Name)]
public sealed class DashboardBrowserTests(SiloFixture silo)
{
    /// <summary>Where Chromium is looked for: $MDL_CHROMIUM, else Debian's package.</summary>
    private static string ChromiumPath => Environment.GetEnvironmentVariable("MDL_CHROMIUM") ?? "/usr/bin/chromium";

    [Fact]
    public async Task Dashboard_renders_in_a_browser_and_lists_the_goal_grains()
    {
        Assert.True(
            File.Exists(ChromiumPath),
            $"Chromium is needed for the dashboard test and was not found at {ChromiumPath}: install it with 'apt-get install -y chromium' (./test.sh does so when run as root) or set MDL_CHROMIUM.");
        var id = Definitions.NewGoalId("dash");
        await silo.Client.GetGrain<IGoalGrain>(id).PutDefinitionAsync(Definitions.Engagement(id));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();

        var response = await page.GotoAsync(new Uri(silo.HttpAddress, "/dashboard/").ToString());
        Assert.Equal(200, response!.Status);
        await page.GetByText("Silos").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await page.GotoAsync(new Uri(silo.HttpAddress, "/dashboard/#/grains").ToString());
        await page.GetByText("GoalGrain").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        var screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot should show a rendered page");
    }
}
