// Makes the form <div id=cfg.id> work (see form.go). It says on cfg.ready that it is there; the program
// answers on cfg.control ({"enabled": bool, "status": text}), which enables the form: so a form that looks
// usable is one whose program heard the page. Start sends every field, as one JSON string, to cfg.submit and
// disables the form until the program answers again.
//
// The program may run this script more than once (form.go, waitReady): when GoNB's connection to the page
// failed and GoNB installed a new one. Each run binds the form to the page's current connection; the
// listeners on the page are added once.
const gonb_comm = globalThis.gonb_comm;
const root = document.getElementById(cfg.id);
if (!root) {
  return;
}
const start = document.getElementById(cfg.id + "-start");
const status = document.getElementById(cfg.id + "-status");
const fields = Array.from(root.querySelectorAll("input[name], select[name]"));
const setEnabled = (on) => {
  fields.forEach((f) => { f.disabled = !on; });
  start.disabled = !on;
};
if (!gonb_comm) {
  setEnabled(false);
  status.textContent = "Waiting for the connection to the Go kernel… (if this stays, run the cell again)";
  return;
}
root.sisComm = gonb_comm;
if (!root.sisBound) {
  root.sisBound = true;
  // The classic Notebook would take keys typed into the fields as its shortcuts ("a" adds a cell...) unless
  // told that these elements handle their own keys.
  const km = globalThis.Jupyter && globalThis.Jupyter.keyboard_manager;
  if (km && km.register_events) {
    fields.forEach((f) => km.register_events(f));
  }
  start.addEventListener("click", () => {
    const values = {};
    fields.forEach((f) => {
      values[f.name] = f.value;
      f.setAttribute("value", f.value); // kept when the output is saved from the page
    });
    setEnabled(false);
    status.textContent = "Starting…";
    root.sisComm.send(cfg.submit, JSON.stringify(values));
  });
  root.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.tagName === "INPUT" && !start.disabled) {
      start.click();
    }
  });
}
root.sisSubscribed = root.sisSubscribed || new WeakSet();
if (!root.sisSubscribed.has(gonb_comm)) {
  root.sisSubscribed.add(gonb_comm);
  gonb_comm.subscribe(cfg.control, (address, msg) => {
    const m = JSON.parse(msg);
    setEnabled(m.enabled);
    status.textContent = m.status;
  });
}
gonb_comm.send(cfg.ready, "ready"); // sent once the connection to GoNB is open
