// Starts GOV.UK Frontend's components (error summary focus, character counts,
// file upload). The service works without it: every page is plain HTML forms.
import { initAll } from '/assets/govuk-frontend.min.js'
initAll()
