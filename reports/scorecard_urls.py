"""Owner scorecards and the team leaderboard (namespace "reports", included by reports.urls)."""

urlpatterns: list = []
