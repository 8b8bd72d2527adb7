// Numbers and dates in the browser's locale.
const cache = new Map();

function formatter(options) {
  const key = JSON.stringify(options);
  if (!cache.has(key)) cache.set(key, new Intl.NumberFormat(undefined, options));
  return cache.get(key);
}

const DASH = "–";

function decimal(value, minimumDigits, maximumDigits) {
  if (value === null || value === undefined || value === "") return DASH;
  return formatter({ maximumFractionDigits: maximumDigits, minimumFractionDigits: minimumDigits })
    .format(Number(value));
}

export function number(value, digits = 0) {
  return decimal(value, 0, digits);
}

/** Exactly ``digits`` decimals, as amounts of money are written (-134 -> -134.00). */
export function fixed(value, digits = 2) {
  return decimal(value, digits, digits);
}

export function integer(value) {
  return number(value, 0);
}

export function money(value, currency = "USD") {
  if (value === null || value === undefined) return DASH;
  return formatter({ style: "currency", currency }).format(Number(value));
}

export function percent(fraction, digits = 1) {
  if (fraction === null || fraction === undefined) return DASH;
  return formatter({ style: "percent", maximumFractionDigits: digits }).format(Number(fraction));
}

export function compact(value) {
  if (value === null || value === undefined) return DASH;
  return formatter({ notation: "compact", maximumFractionDigits: 1 }).format(Number(value));
}

export function dateOnly(value) {
  if (!value) return DASH;
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  return date.toLocaleDateString(undefined, { timeZone: "UTC", year: "numeric", month: "short", day: "numeric" });
}

export function month(value) {
  if (!value) return DASH;
  return new Date(`${value.slice(0, 10)}T00:00:00Z`).toLocaleDateString(undefined, {
    timeZone: "UTC", year: "numeric", month: "short",
  });
}

export function dateTime(value) {
  if (!value) return DASH;
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function time(value) {
  if (!value) return DASH;
  return new Date(value).toLocaleTimeString();
}
