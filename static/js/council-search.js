// Type-ahead for the partner council search. An enhancement only: without JavaScript the search form
// submits and the server renders the same results. As the user types, the server's own results fragment is
// fetched and swapped in, and a polite live region says how many councils match.
const form = document.querySelector("form[data-council-search]");
const input = form && form.querySelector("input[name='q']");
const results = document.getElementById("council-results");
const status = document.getElementById("council-search-status");

if (form && input && results && status) {
  let timer = null;
  let controller = null;

  const update = async () => {
    const query = input.value.trim();
    if (query.length === 0) {
      return;
    }
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    const url = new URL(form.action, window.location.href);
    url.searchParams.set("q", query);
    url.searchParams.set("partial", "results");
    try {
      const response = await fetch(url, { signal: controller.signal, credentials: "same-origin" });
      if (!response.ok) {
        return;
      }
      results.innerHTML = await response.text();
      const count = results.querySelectorAll("[data-council-row]").length;
      const more = results.querySelector("[data-more-results]") !== null;
      status.textContent =
        count === 0
          ? `No councils match ${query}`
          : more
            ? `The first ${count} councils found: type more of the name to find others`
            : `${count} council${count === 1 ? "" : "s"} found`;
      // Keep the address in step, so Back and a reload show the same results.
      url.searchParams.delete("partial");
      window.history.replaceState(null, "", url);
    } catch (error) {
      if (error.name !== "AbortError") {
        // Leave the page as it is: the Search button still works.
        status.textContent = "";
      }
    }
  };

  const typed = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 250);
  };
  input.addEventListener("input", typed);
  // A module script runs once the page has loaded: someone quick may have typed before it did. Their words are
  // searched now, as they would have been had the script been listening.
  if (input.value !== input.defaultValue) {
    typed();
  }
}
