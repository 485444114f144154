"""An application from the first click to the status page: drafts, steps, documents, submission, record and receipt."""
