// A table wider than the screen scrolls inside its box (app.css). While it does, the box is a region named by the
// table's caption (or the heading before it) that takes the keyboard's focus, so arrow keys scroll it; while it
// fits, the box is nothing, and adds no stop to the tab order.
const boxes = [...document.querySelectorAll(".app-table-wrap")];
let named = 0;

function nameOf(box) {
  const caption = box.querySelector("caption");
  if (caption && caption.textContent.trim()) {
    if (!caption.id) caption.id = `app-table-caption-${++named}`;
    return { labelledby: caption.id };
  }
  let before = box.previousElementSibling;
  while (before && !/^H[1-6]$/.test(before.tagName)) before = before.previousElementSibling;
  const heading = before ? before.textContent.trim() : "";
  return { label: heading ? `${heading} (table)` : "Table" };
}

function mark() {
  for (const box of boxes) {
    if (box.scrollWidth > box.clientWidth + 1) {
      const name = nameOf(box);
      box.setAttribute("role", "region");
      box.setAttribute("tabindex", "0");
      if (name.labelledby) box.setAttribute("aria-labelledby", name.labelledby);
      else box.setAttribute("aria-label", name.label);
    } else {
      for (const attribute of ["role", "tabindex", "aria-labelledby", "aria-label"]) box.removeAttribute(attribute);
    }
  }
}

if (boxes.length) {
  mark();
  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(mark);
  });
}
