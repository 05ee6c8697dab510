"""What every app shares: errors and problems, the transition runner, formatting, GOV.UK template tags, the
programme-staff gate and the error views. No domain models live here."""
