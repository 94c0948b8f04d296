import { describe, expect, it } from "vitest";
import { splitStatements } from "../shared/journal/sql-statements.ts";

describe("splitStatements", () => {
  it.each([
    ["plain statements", "select 1; select 2;", ["select 1", "select 2"]],
    ["no final semicolon", "select 1;\nselect 2", ["select 1", "select 2"]],
    ["semicolon in a string", "select 'a;b'; select 2", ["select 'a;b'", "select 2"]],
    ["doubled quote", "select 'it''s;'; select 2", ["select 'it''s;'", "select 2"]],
    ["escape string", "select E'\\';'; select 2", ["select E'\\';'", "select 2"]],
    ["quoted identifier", 'select 1 as "a;b"; select 2', ['select 1 as "a;b"', "select 2"]],
    ["line comment", "select 1 -- a; b\n; select 2", ["select 1 -- a; b", "select 2"]],
    ["nested block comment", "select /* a /* ; */ ; */ 1; select 2", [
      "select /* a /* ; */ ; */ 1",
      "select 2",
    ]],
    ["dollar quotes", "do $$ begin perform 1; end $$; select 2", [
      "do $$ begin perform 1; end $$",
      "select 2",
    ]],
    ["tagged dollar quotes", "select $fn$ a $$ ; $fn$; select 2", [
      "select $fn$ a $$ ; $fn$",
      "select 2",
    ]],
    ["parameter is no tag", "select $1; select 2", ["select $1", "select 2"]],
    ["repeated semicolons", "select 1;;; select 2", ["select 1", "select 2"]],
    ["comment before a statement", "-- head\nselect 1;\n-- tail\n", [
      "-- head\nselect 1",
      "-- tail",
    ]],
  ])("%s", (_name, sql, expected) => {
    expect(splitStatements(sql)).toEqual(expected);
  });
});
