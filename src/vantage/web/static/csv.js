// CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF) to objects keyed by the header row.
export function parseCsv(text) {
  const records = [];
  let field = "";
  let record = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { record.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += c;
  }
  if (field || record.length) { record.push(field); records.push(record); }
  const [header = [], ...rows] = records.filter((r) => r.some((value) => value.trim() !== ""));
  const names = header.map((name) => name.trim().replace(/^\uFEFF/, ""));
  return rows.map((row) => Object.fromEntries(names.map((name, i) => [name, (row[i] ?? "").trim()])));
}
