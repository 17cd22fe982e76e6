"""The cooperation questionnaire: questions, answers, review, comparison."""
