// The editor bundle of `rdsql ui`: CodeMirror 6 (highlighting, brackets,
// comments, search/replace, completion) and sql-formatter, exposed as
// window.RdsqlEditor. Rebuilt by build.sh; see MANIFEST.md.
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection, highlightSpecialChars } from "@codemirror/view";
import { EditorState, Compartment } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap, toggleComment, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput, syntaxHighlighting, defaultHighlightStyle, foldGutter } from "@codemirror/language";
import { searchKeymap, highlightSelectionMatches, openSearchPanel } from "@codemirror/search";
import { autocompletion, completionKeymap, closeBrackets, closeBracketsKeymap, startCompletion, currentCompletions } from "@codemirror/autocomplete";
import { sql, PostgreSQL, MySQL, MariaSQL, SQLite, StandardSQL, schemaCompletionSource, keywordCompletionSource } from "@codemirror/lang-sql";
import { oneDarkHighlightStyle } from "@codemirror/theme-one-dark";
import { format } from "sql-formatter";

window.RdsqlEditor = {
  EditorView, EditorState, Compartment, keymap, lineNumbers, highlightActiveLine, drawSelection,
  highlightSpecialChars, defaultKeymap, history, historyKeymap, toggleComment, indentWithTab,
  bracketMatching, indentOnInput, syntaxHighlighting, defaultHighlightStyle, foldGutter,
  searchKeymap, highlightSelectionMatches, openSearchPanel, autocompletion, completionKeymap,
  closeBrackets, closeBracketsKeymap, startCompletion, currentCompletions, sql,
  schemaCompletionSource, keywordCompletionSource,
  dialects: { postgres: PostgreSQL, mysql: MySQL, mariadb: MariaSQL, sqlite: SQLite, standard: StandardSQL },
  oneDarkHighlightStyle, format,
};
