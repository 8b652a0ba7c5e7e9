"""成人高考 public sign-up (app/selfservice/signup.py, issue 18.1): three public routes; the
exam's page answers 404 for the walk's (中招) exam and shows no county's objects."""
PUBLIC = {"selfservice.signup", "selfservice.signup_exam", "selfservice.signup_challenge"}
