// Binds the <input id=cfg.id> to the gonb_comm synced variable at cfg.address (see textinput.go).
const gonb_comm = globalThis.gonb_comm;
const el = document.getElementById(cfg.id);
if (!gonb_comm || !el) {
  console.error("nbui text input " + cfg.id + ": not connected to GoNB; the cell will not see what is typed.");
  return;
}
// The classic Notebook would take typed keys as its shortcuts unless told the element handles its own.
const km = globalThis.Jupyter && globalThis.Jupyter.keyboard_manager;
if (km && km.register_events) {
  km.register_events(el);
}
const value = gonb_comm.newSyncedVariable(cfg.address, el.value);
el.addEventListener("input", () => value.set(el.value));
el.addEventListener("change", () => {
  el.setAttribute("value", el.value); // kept when the output is saved from the page
  value.set(el.value);
});
value.subscribe((v) => {
  el.value = v;
  el.setAttribute("value", v);
});
