// Times as people read them on both sides of a chat: 24-hour, in the reader's own time zone,
// with the zone named (docs/decisions/chat-times.md). The server writes UTC, zone shown, into
// <time datetime="ISO" data-format="..."> (what a reader without JavaScript sees); this turns
// it into the reader's zone. Formats: "clock" 14:05, "seconds" 14:05:07, "queue" 14:05 today
// else 3 Dec, "date-clock" 3 Dec 2026, 14:05 CET, "date-seconds" 3 Dec 2026, 14:05:07 CET.
const LOCALE = "en-GB"; // day month order and 24-hour digits, whatever the browser's language

const parts = (date, options) =>
  Object.fromEntries(
    new Intl.DateTimeFormat(LOCALE, { hourCycle: "h23", ...options })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );

export const zoneName = (date = new Date()) => parts(date, { timeZoneName: "short" }).timeZoneName;

export const clock = (date, { seconds = false } = {}) => {
  const p = parts(date, { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });
  return seconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
};

const day = (date, { year = false } = {}) => {
  const p = parts(date, { day: "numeric", month: "short", ...(year ? { year: "numeric" } : {}) });
  return year ? `${p.day} ${p.month} ${p.year}` : `${p.day} ${p.month}`;
};

const sameDay = (a, b) => day(a, { year: true }) === day(b, { year: true });

export const formatTime = (date, format, now = new Date()) => {
  switch (format) {
    case "seconds":
      return clock(date, { seconds: true });
    case "queue":
      return sameDay(date, now) ? clock(date) : day(date);
    case "date-clock":
      return `${day(date, { year: true })}, ${clock(date)} ${zoneName(date)}`;
    case "date-seconds":
      return `${day(date, { year: true })}, ${clock(date, { seconds: true })} ${zoneName(date)}`;
    default:
      return clock(date);
  }
};

/** Rewrite every <time data-format> under ``root`` in the reader's zone; returns the zone. */
export const localizeTimes = (root = document) => {
  root.querySelectorAll("time[datetime][data-format]").forEach((element) => {
    const date = new Date(element.dateTime);
    if (Number.isNaN(date.getTime())) return;
    const text = formatTime(date, element.dataset.format);
    if (element.textContent !== text) element.textContent = text;
    element.title = `${formatTime(date, "date-seconds")}`;
  });
  return zoneName();
};
