// Backup codes: copy to the clipboard, download as a text file, print. Without JavaScript the
// codes are still on the page (select and copy, or the browser's own print).
(() => {
  const list = document.getElementById("backup-codes");
  const tools = document.getElementById("code-tools");
  const feedback = document.getElementById("codes-feedback");
  if (!list || !tools) return;
  const codes = [...list.querySelectorAll("code")].map((c) => c.textContent.trim());
  const site = document.querySelector(".brand-name")?.textContent.trim() || "Customer portal";
  const text = `${site}: backup codes\nEach code logs you in once.\n\n${codes.join("\n")}\n`;
  const say = (message) => {
    feedback.textContent = "";
    setTimeout(() => { feedback.textContent = message; }, 50); // re-announced on every click
  };

  document.getElementById("copy-codes").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      say("Copied: paste them into your password manager.");
    } catch {
      const range = document.createRange();
      range.selectNodeContents(list);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say("Selected: press Ctrl+C (or ⌘+C) to copy.");
    }
  });
  document.getElementById("download-codes").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "backup-codes.txt";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    say("Downloaded as backup-codes.txt.");
  });
  document.getElementById("print-codes").addEventListener("click", () => window.print());
  tools.hidden = false;
})();
