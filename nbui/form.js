// Makes the form <div id=cfg.id> work (see form.go): it tells cfg.ready that it is connected; Start sends every field, as one JSON string, to
// cfg.submit and disables the form; messages on cfg.control ({"enabled": bool, "status": text}) enable or
// disable it again and set the status line.
const gonb_comm = globalThis.gonb_comm;
const root = document.getElementById(cfg.id);
if (!root) {
  return;
}
const start = document.getElementById(cfg.id + "-start");
const status = document.getElementById(cfg.id + "-status");
const fields = Array.from(root.querySelectorAll("input[name], select[name]"));
// The classic Notebook would take keys typed into the fields as its shortcuts ("a" adds a cell...) unless
// told that these elements handle their own keys.
const km = globalThis.Jupyter && globalThis.Jupyter.keyboard_manager;
if (km && km.register_events) {
  fields.forEach((f) => km.register_events(f));
}
const setEnabled = (on) => {
  fields.forEach((f) => { f.disabled = !on; });
  start.disabled = !on;
};
if (!gonb_comm) {
  setEnabled(false);
  status.textContent = "Not connected to the Go kernel: run the cell again.";
  return;
}
start.addEventListener("click", () => {
  const values = {};
  fields.forEach((f) => {
    values[f.name] = f.value;
    f.setAttribute("value", f.value); // kept when the output is saved from the page
  });
  setEnabled(false);
  status.textContent = "Starting…";
  gonb_comm.send(cfg.submit, JSON.stringify(values));
});
gonb_comm.subscribe(cfg.control, (address, msg) => {
  const m = JSON.parse(msg);
  setEnabled(m.enabled);
  status.textContent = m.status;
});
root.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && e.target.tagName === "INPUT" && !start.disabled) {
    start.click();
  }
});
setEnabled(true);
status.textContent = cfg.prompt;
gonb_comm.send(cfg.ready, "ready"); // sent once the connection to GoNB is open
