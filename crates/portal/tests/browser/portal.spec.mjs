// Drives the FlowFall portal in Debian's headless Chromium through playwright-core (which
// downloads no browser): logs in as a customer, toggles one service, applies, checks the page
// shows the new set; logs out; logs in as an operator, selects the customer, checks the chain
// drawing and the audit log, and writes a screenshot.
//
// Any portal will do, the in-process demo of crates/portal/tests/browser.rs or a real
// controller: everything comes from the environment.
//
//   PORTAL_URL             base URL of the page, e.g. http://127.0.0.1:8080/
//   PORTAL_CUSTOMER        customer name
//   PORTAL_CUSTOMER_TOKEN  its token
//   PORTAL_SERVICE         the service (layer) to toggle; the customer must be allowed it
//   PORTAL_OPERATOR_TOKEN  an operator token
//   PORTAL_SCREENSHOT      where to write the operator view (PNG); optional
//   PORTAL_CUSTOMER_SCREENSHOT  where to write the customer view after the change; optional
//   CHROMIUM               browser binary (default /usr/bin/chromium)
//
// Prints one line `SCENARIO_RESULT {json}` and exits 0, or prints the failure and exits 1.
import { chromium } from "playwright-core";

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === "") {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
};

const base = env("PORTAL_URL");
const customer = env("PORTAL_CUSTOMER");
const customerToken = env("PORTAL_CUSTOMER_TOKEN");
const service = env("PORTAL_SERVICE");
const operatorToken = env("PORTAL_OPERATOR_TOKEN");
const screenshot = process.env.PORTAL_SCREENSHOT || "";
const customerScreenshot = process.env.PORTAL_CUSTOMER_SCREENSHOT || "";
const executablePath = env("CHROMIUM", "/usr/bin/chromium");

// Bound the whole run: a hung browser must not hang the test suite.
const guard = setTimeout(() => {
  console.error("scenario timed out after 120 s");
  process.exit(1);
}, 120_000);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function until(what, probe, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await probe();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A repeatable picture: no focus ring, no caret, no animation. */
async function still(page, path) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.screenshot({ path, fullPage: true, animations: "disabled", caret: "hide" });
}

const pageErrors = [];
const browser = await chromium.launch({
  executablePath,
  headless: true,
  chromiumSandbox: false,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    timezoneId: "UTC",
    locale: "en-US",
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    // A 401 is how the page learns it is not logged in (it then shows the login form);
    // Chromium logs it as a failed load. Anything else is a real error.
    const expected = /Failed to load resource: .*status of 401/.test(m.text());
    if (m.type() === "error" && !expected) pageErrors.push(m.text());
  });

  // ---- customer ---------------------------------------------------------------------
  await page.goto(base);
  await page.getByLabel("Access token").fill(customerToken);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: `${customer}: your service` }).waitFor();
  const box = page.getByRole("checkbox", { name: service, exact: true });
  await box.waitFor();
  const before = await box.isChecked();
  if (await box.isDisabled()) throw new Error(`${customer} may not toggle ${service}`);
  const lockedServices = await page
    .locator("#customer-panel input[type=checkbox]:disabled")
    .evaluateAll((els) => els.map((e) => e.value));
  const servicesBefore = await page
    .locator("#customer-panel input[type=checkbox]:checked")
    .evaluateAll((els) => els.map((e) => e.value));

  await box.setChecked(!before);
  await page.getByRole("button", { name: "Apply changes" }).click();
  const status = page.getByRole("status");
  const statusText = await until("the change's status", async () => {
    const t = (await status.textContent()) || "";
    return t.startsWith("Applied") || t.startsWith("Not applied") ? t : null;
  });
  if (!statusText.startsWith("Applied")) throw new Error(`change refused: ${statusText}`);
  // The page re-reads the customer from the server: the box shows the stored state.
  await until("the new service state", async () => (await box.isChecked()) === !before);
  const servicesAfter = await page
    .locator("#customer-panel input[type=checkbox]:checked")
    .evaluateAll((els) => els.map((e) => e.value));
  const facts = await page.locator("#customer-panel dl.facts").innerText();
  const pathRows = await page
    .locator("#customer-panel table.path-table tbody tr")
    .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
  await page.locator("#customer-panel tr", { hasText: "just now" }).first().waitFor();
  if (customerScreenshot) await still(page, customerScreenshot);

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Access token").waitFor();

  // ---- operator ---------------------------------------------------------------------
  await page.getByLabel("Access token").fill(operatorToken);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("img", { name: /Service chain/ }).waitFor();
  const nav = page.getByRole("navigation", { name: "Customers" });
  await nav.getByRole("button", { name: new RegExp(`^${escape(customer)}\\b`) }).click();
  await page.getByRole("heading", { name: `Customer ${customer}` }).waitFor();
  await page.locator("#chain polyline.path.up").first().waitFor();
  const highlighted = await page
    .locator("#chain g.vm.on-path")
    .evaluateAll((gs) => gs.map((g) => g.getAttribute("data-vm")));
  const vmBoxes = await page.locator("#chain g.vm").count();
  const auditRow = page.locator("#audit-table tbody tr").first();
  await until("the audit entry", async () =>
    ((await auditRow.textContent()) || "").includes(customer));
  const auditFirst = await auditRow.evaluate((r) => [...r.children].map((c) => c.textContent));
  // Let the editor's path table fill before the picture.
  await page.locator("#editor-panel table.path-table tbody tr").first().waitFor();
  if (screenshot) await still(page, screenshot);

  if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join("; ")}`);
  const result = {
    customer,
    service,
    before,
    after: !before,
    servicesBefore,
    servicesAfter,
    lockedServices,
    statusText,
    facts,
    pathRows,
    highlighted,
    vmBoxes,
    auditFirst,
    screenshot,
    customerScreenshot,
  };
  console.log(`SCENARIO_RESULT ${JSON.stringify(result)}`);
} catch (e) {
  console.error(`scenario failed: ${e && e.stack ? e.stack : e}`);
  if (pageErrors.length) console.error(`page errors: ${pageErrors.join("; ")}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  clearTimeout(guard);
}
