//! The `rdsql ui` workspace in a real browser (headless Chromium) against
//! the real servers: type and run, completion from the catalog, a 150,000-
//! row result scrolled to its end with "load more", export compared byte
//! for byte with `rdsql query`, cancel on both engines, a cell edited with
//! its SQL previewed and read back with psql, history and tabs across a
//! restart. Writes the workspace screenshots (light and dark).

use crate::browser::*;
use crate::harness::*;
use crate::ui::Ui;
use fantoccini::{Client, Locator};
use rdsql_testkit::{PASSWORD, mariadb, postgres};
use std::time::{Duration, Instant};

async fn wait_xpath(
    c: &Client,
    xpath: &str,
    secs: u64,
    what: &str,
) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::XPath(xpath))
        .await
    {
        Ok(e) => e,
        Err(e) => fail(c, &format!("{what}: {e}")).await,
    }
}

async fn meta_says(c: &Client, text: &str, secs: u64) {
    wait_xpath(
        c,
        &format!("//span[@id='result-meta' and contains(normalize-space(), '{text}')]"),
        secs,
        &format!("result meta {text:?}"),
    )
    .await;
}

async fn scroll_grid_to_end(c: &Client) {
    c.execute(
        "const g = document.querySelector('#results .grid'); g.scrollTop = g.scrollHeight; g.dispatchEvent(new Event('scroll'));",
        vec![],
    )
    .await
    .unwrap();
}

async fn connect_pg(c: &Client, ui: &Ui) {
    common(
        c,
        ui,
        "PostgreSQL",
        postgres().port,
        "127.0.0.1",
        "rdsql_scram",
    )
    .await;
    choose(c, "Authentication Method", "Username / Password").await;
    fill(c, "Password", PASSWORD).await;
    click_button(c, "Connect").await;
    wait_xpath(
        c,
        "//section[@id='connected-view' and not(@hidden)]",
        60,
        "the workspace",
    )
    .await;
}

#[test]
fn the_workspace_in_a_real_browser() {
    let Some(d) = driver() else { return };
    postgres().psql_db(
        "rdsql",
        "drop table if exists ws_br_orders, ws_br_nopk; \
         create table ws_br_orders (order_id int primary key, customer_note text); \
         insert into ws_br_orders values (1, 'first'), (2, 'second'), (3, null); \
         create table ws_br_nopk (x int); \
         drop table if exists ws_br_many; \
         create table ws_br_many as select g as id, 'many ' || g as label from generate_series(1, 1000) g; \
         alter table ws_br_many add primary key (id); \
         grant all on ws_br_orders, ws_br_nopk, ws_br_many to rdsql_scram",
    );
    let data = tempfile::tempdir().unwrap();
    let env = [("RDSQL_DATA_DIR", data.path().display().to_string())];
    run(async {
        let ui = Ui::start(&env);
        let c = browser(&d).await;
        connect_pg(&c, &ui).await;

        // Type two statements; Ctrl-Enter runs the one under the cursor.
        type_sql(&c, "select 1 as ws_one;\nselect 'ws_second' as ws_two").await;
        ctrl_enter(&c).await;
        wait_cell(&c, "ws_second", 20).await;
        assert!(
            c.find(Locator::XPath(
                "//div[contains(@class,'th')]/span[.='ws_one']"
            ))
            .await
            .is_err(),
            "only the statement under the cursor ran"
        );
        // Its header names the column's type.
        wait_xpath(
            &c,
            "//div[contains(@class,'th')]/span[@class='type' and .='text']",
            5,
            "the type in the header",
        )
        .await;

        // Completion offers a column of the table the test made.
        click_button(&c, "↻").await;
        wait_xpath(
            &c,
            "//button[@class='object-name' and .='ws_br_orders']",
            20,
            "the table in the schema tree",
        )
        .await;
        type_sql(&c, "select * from ws_br_orders where custo").await;
        let ed = c.find(Locator::Css("#editor .cm-content")).await.unwrap();
        ed.send_keys("m").await.unwrap();
        wait_xpath(
            &c,
            "//div[contains(@class,'cm-tooltip-autocomplete')]//li[contains(., 'customer_note')]",
            10,
            "completion of customer_note",
        )
        .await;

        // Format, comment toggling (Ctrl-/), find (Ctrl-F).
        type_sql(&c, "select a, b from t where x = 1").await;
        click_button(&c, "Format").await;
        let doc = || async {
            c.execute(
                "return window.Workspace.WS.view.state.doc.toString()",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
        };
        let formatted = doc().await;
        assert_eq!(formatted, "select\n  a,\n  b\nfrom\n  t\nwhere\n  x = 1");
        let ed = c.find(Locator::Css("#editor .cm-content")).await.unwrap();
        ed.send_keys("\u{E009}/\u{E009}").await.unwrap();
        assert!(doc().await.ends_with("-- x = 1"), "{}", doc().await);
        ed.send_keys("\u{E009}f\u{E009}").await.unwrap();
        wait_xpath(
            &c,
            "//div[contains(@class,'cm-search')]",
            5,
            "the find / replace panel",
        )
        .await;
        ed.send_keys("\u{E00C}").await.unwrap();

        // 150,000 rows: the grid holds 100,000, then loads more on request
        // (the query is not run again), and scrolls to the very last row.
        type_sql(
            &c,
            "select g as n, 'row ' || g as label from generate_series(1, 150000) g",
        )
        .await;
        let started = Instant::now();
        click_button(&c, "Run").await;
        wait_cell(&c, "row 1", 20).await;
        eprintln!("first row in the grid after {:?}", started.elapsed());
        meta_says(&c, "100,000 rows loaded", 60).await;
        scroll_grid_to_end(&c).await;
        wait_cell(&c, "row 100000", 10).await;
        screenshot(&c, "workspace-load-more").await;

        click_button(&c, "Load 100,000 more").await;
        meta_says(&c, "150,000 rows", 60).await;
        scroll_grid_to_end(&c).await;
        wait_cell(&c, "row 150000", 10).await;
        let active = postgres().psql(
            "select count(*) from pg_stat_activity where query like '%generate_series(1, 150000)%' and pid <> pg_backend_pid()",
        );
        assert_eq!(active.trim(), "1", "one run of the statement, not two");

        // Export CSV: byte for byte what `rdsql query --format csv` prints.
        let sql = "select g as n, 'row ' || g as label from generate_series(1, 150000) g";
        c.find(Locator::Id("export-as"))
            .await
            .unwrap()
            .select_by_value("csv")
            .await
            .unwrap();
        assert!(text_appears(&c, "Export runs the statement again", 5).await);
        let file = d.downloads().join("rdsql-export.csv");
        let mut waited = 0;
        while !(file.exists() && text_appears(&c, "Exported 150,000 rows", 1).await) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            waited += 1;
            if waited > 60 {
                fail(&c, "the CSV download").await;
            }
        }
        let cli_url = format!(
            "{}?sslmode=verify-full&sslrootcert={}",
            postgres().url("rdsql_scram", "127.0.0.1"),
            ca()
        );
        let cli = rdsql(&["query", &cli_url, "--format", "csv", "-c", sql]);
        cli.ok();
        assert!(
            std::fs::read(&file).unwrap() == cli.raw_stdout,
            "the download differs from rdsql query --format csv"
        );

        // Cancel within 2 s; the session goes on.
        type_sql(&c, "select pg_sleep(30)").await;
        click_button(&c, "Run").await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let t = Instant::now();
        click_button(&c, "Cancel").await;
        assert!(
            text_appears(&c, "57014", 5).await,
            "the cancelled statement's error"
        );
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        type_sql(&c, "select 'pg_after_cancel' as s").await;
        click_button(&c, "Run").await;
        wait_cell(&c, "pg_after_cancel", 10).await;

        // Row editing: open the table, edit a cell, preview, apply.
        c.find(Locator::XPath(
            "//button[@class='object-name' and .='ws_br_orders']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        wait_cell(&c, "first", 20).await;
        // A double-click on the cell (found and clicked in one step: the
        // grid redraws as it likes).
        c.execute(
            "const x = document.evaluate(arguments[0], document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue; \
             x.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));",
            vec![serde_json::json!(cell("first"))],
        )
        .await
        .unwrap();
        let input = wait_xpath(
            &c,
            "//input[contains(@class,'cell-input')]",
            5,
            "the cell editor",
        )
        .await;
        // The editor opens with its text selected: typing replaces it
        // (WebDriver's clear would blur it, which commits the edit).
        input
            .send_keys("edited by the browser test\u{E007}")
            .await
            .unwrap();
        click_button(&c, "Review & apply…").await;
        let preview = wait_xpath(&c, "//pre[@id='edit-sql']", 5, "the SQL preview").await;
        let text = preview.text().await.unwrap();
        assert!(
            text.contains(r#"UPDATE "public"."ws_br_orders" SET "customer_note" = 'edited by the browser test' WHERE "order_id" = '1'"#),
            "{text}"
        );
        screenshot(&c, "workspace-edit-preview").await;
        click_button(&c, "Apply").await;
        assert!(text_appears(&c, "Applied 1 statement in one transaction", 10).await);
        assert_eq!(
            postgres()
                .psql_db(
                    "rdsql",
                    "select customer_note from ws_br_orders where order_id = 1"
                )
                .trim(),
            "edited by the browser test"
        );
        wait_cell(&c, "edited by the browser test", 10).await;
        // Add a row (two cells typed, the rest DEFAULT) and delete another.
        click_button(&c, "Add row").await;
        for value in ["4", "added by the browser test"] {
            c.execute(
                "const x = document.evaluate(\"(//div[@id='results']//div[contains(@class,'cell') and .='DEFAULT'])[1]\", document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue; \
                 x.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));",
                vec![],
            )
            .await
            .unwrap();
            wait_xpath(
                &c,
                "//input[contains(@class,'cell-input')]",
                5,
                "the new row's cell editor",
            )
            .await
            .send_keys(&format!("{value}\u{E007}"))
            .await
            .unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        c.find(Locator::XPath(
            "//div[@id='results']//div[contains(@class,'rownum') and .='2']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        click_button(&c, "Delete selected").await;
        click_button(&c, "Review & apply…").await;
        let text = wait_xpath(&c, "//pre[@id='edit-sql']", 5, "the SQL preview")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            text.contains(r#"DELETE FROM "public"."ws_br_orders" WHERE "order_id" = '2'"#)
                && text.contains(r#"INSERT INTO "public"."ws_br_orders" ("order_id", "customer_note") VALUES ('4', 'added by the browser test')"#),
            "{text}"
        );
        click_button(&c, "Apply").await;
        assert!(text_appears(&c, "Applied 2 statements in one transaction", 10).await);
        assert_eq!(
            postgres()
                .psql_db("rdsql", "select string_agg(order_id || ':' || coalesce(customer_note, ''), ',' order by order_id) from ws_br_orders")
                .trim(),
            "1:edited by the browser test,3:,4:added by the browser test"
        );
        // A table without a primary key is read-only, and says why.
        type_sql_tab_free(&c).await;
        c.find(Locator::Id("tree-filter"))
            .await
            .unwrap()
            .send_keys("ws_br_nopk")
            .await
            .unwrap();
        wait_xpath(
            &c,
            "//button[@class='object-name' and .='ws_br_nopk']",
            5,
            "the filtered tree",
        )
        .await
        .click()
        .await
        .unwrap();
        if !text_appears(&c, "has no primary key", 5).await {
            fail(&c, "the read-only reason").await;
        }
        // A table opens with its first 100 rows; scrolling to the end reads on.
        let filter = c.find(Locator::Id("tree-filter")).await.unwrap();
        filter
            .send_keys("\u{E003}\u{E003}\u{E003}\u{E003}many")
            .await
            .unwrap(); // backspaces: "ws_br_many"
        wait_xpath(
            &c,
            "//button[@class='object-name' and .='ws_br_many']",
            5,
            "ws_br_many in the tree",
        )
        .await
        .click()
        .await
        .unwrap();
        meta_says(&c, "100 rows loaded", 20).await;
        scroll_grid_to_end(&c).await;
        meta_says(&c, "600 rows loaded", 20).await;
        // Where the end was, the next rows follow (the view did not jump).
        wait_cell(&c, "many 101", 10).await;

        // Screenshots of the workspace, light and dark.
        c.find(Locator::Id("tree-filter"))
            .await
            .unwrap()
            .clear()
            .await
            .unwrap();
        c.find(Locator::XPath(
            "//button[@class='etab-name' and .='Query 1']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        type_sql(&c, "select order_id, customer_note, order_id * 1.5 as weight\nfrom ws_br_orders\norder by order_id").await;
        click_button(&c, "Run").await;
        wait_cell(&c, "4.5", 10).await;
        // Sort (click the header twice: descending), filter, copy formats.
        for arrow in ["▲", "▼"] {
            c.find(Locator::XPath(
                "//div[contains(@class,'th')][span[@class='name' and .='order_id']]",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
            wait_xpath(
                &c,
                &format!("//div[contains(@class,'th')][span[@class='name' and .='order_id']]/span[@class='sort' and .='{arrow}']"),
                5,
                "the sort arrow",
            )
            .await;
        }
        let first_row = c
            .execute(
                "return [...document.querySelector('#results .grow').children].map((d) => d.textContent)",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            first_row,
            serde_json::json!(["1", "4", "added by the browser test", "6.0"])
        );
        c.find(Locator::Id("result-filter"))
            .await
            .unwrap()
            .send_keys("edited")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rows = c
            .execute(
                "return document.querySelector('#results .grid').getAttribute('aria-rowcount')",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(rows, "1");
        let copies = c
            .execute(
                "const g = window.Workspace.WS.current.active.run.results[0].grid; \
                 return ['tsv', 'csv', 'json', 'insert'].map((f) => g.copyText(f));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            copies,
            serde_json::json!([
                "order_id\tcustomer_note\tweight\n1\tedited by the browser test\t1.5\n",
                "order_id,customer_note,weight\n1,edited by the browser test,1.5\n",
                "[\n  {\n    \"order_id\": \"1\",\n    \"customer_note\": \"edited by the browser test\",\n    \"weight\": \"1.5\"\n  }\n]\n",
                "INSERT INTO table_name (\"order_id\", \"customer_note\", \"weight\") VALUES (1, 'edited by the browser test', 1.5);\n",
            ])
        );
        c.find(Locator::Id("result-filter"))
            .await
            .unwrap()
            .send_keys("\u{E009}a\u{E009}\u{E017}")
            .await
            .unwrap();
        // The tree with a table opened to its columns, for the pictures.
        c.execute(
            "for (const d of document.querySelectorAll('#tree details.object')) \
               if (d.querySelector('.object-name').textContent === 'ws_br_orders') d.open = true;",
            vec![],
        )
        .await
        .unwrap();
        for (theme, shot) in [("light", "workspace-light"), ("dark", "workspace-dark")] {
            c.find(Locator::Id("ws-theme"))
                .await
                .unwrap()
                .select_by_value(theme)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            screenshot(&c, shot).await;
        }

        // A second tab, and history: both survive a restart.
        type_sql_marker(&c).await;
        click_button(&c, "+").await;
        type_sql(&c, "select 'ws_tab2_marker'").await;
        tokio::time::sleep(Duration::from_millis(800)).await; // the tabs are saved
        c.close().await.unwrap();
        ui.stop();

        let ui = Ui::start(&env);
        let c = browser(&d).await;
        connect_pg(&c, &ui).await;
        wait_xpath(
            &c,
            "//button[@class='etab-name' and .='Query 2']",
            10,
            "the second tab after a restart",
        )
        .await
        .click()
        .await
        .unwrap();
        assert!(text_appears(&c, "ws_tab2_marker", 5).await, "its text");
        click_button(&c, "History").await;
        wait_xpath(
            &c,
            "//button[@class='history-entry' and contains(., 'ws_hist_browser_marker')]",
            10,
            "the history after a restart",
        )
        .await
        .click()
        .await
        .unwrap();
        click_button(&c, "Run").await;
        wait_cell(&c, "ws_hist_browser_marker", 10).await;

        // MariaDB in a second connection: cancel SLEEP(30) within 2 s.
        click_button(&c, "+ Connection").await;
        common(
            &c,
            &ui,
            "MariaDB",
            mariadb().port,
            "localhost",
            "rdsql_native",
        )
        .await;
        choose(&c, "Authentication Method", "Username / Password").await;
        fill(&c, "Password", PASSWORD).await;
        click_button(&c, "Connect").await;
        wait_xpath(
            &c,
            "//button[contains(@class,'conn-tab') and contains(., 'rdsql_native')]",
            30,
            "the MariaDB connection",
        )
        .await;
        type_sql(&c, "select sleep(30)").await;
        click_button(&c, "Run").await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let t = Instant::now();
        click_button(&c, "Cancel").await;
        // An interrupted SLEEP returns 1 (or the statement reports the
        // interruption, depending on the server version).
        let mut stopped = false;
        for _ in 0..25 {
            let src = c.source().await.unwrap();
            if src.contains("interrupted") || c.find(Locator::XPath(&cell("1"))).await.is_ok() {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(stopped, "SLEEP(30) was not cancelled");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        type_sql(&c, "select 'my_after_cancel' as s").await;
        click_button(&c, "Run").await;
        wait_cell(&c, "my_after_cancel", 10).await;
        assert_eq!(page_errors(&c).await, serde_json::json!([]));
        c.close().await.unwrap();
    });
}

/// Runs the history marker in the current tab.
async fn type_sql_marker(c: &Client) {
    type_sql(c, "select 'ws_hist_browser_marker' as m").await;
    click_button(c, "Run").await;
    wait_cell(c, "ws_hist_browser_marker", 10).await;
}

/// Back to an editor tab so the tree click opens a fresh table tab.
async fn type_sql_tab_free(c: &Client) {
    c.find(Locator::XPath(
        "//button[@class='etab-name' and .='Query 1']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
}
