// "Print this page" links: with JavaScript they print the page itself; without it they open a print-friendly
// page (their href), which the browser prints as it is.
for (const link of document.querySelectorAll("a[data-print-link]")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    window.print();
  });
}
