"""The office's side of a case: the status machine, the caseworker's commands and the applicant's notifications."""
