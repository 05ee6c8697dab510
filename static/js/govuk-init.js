// Starts GOV.UK Frontend's components on every page (a module file, not inline, for the Content-Security-Policy).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
