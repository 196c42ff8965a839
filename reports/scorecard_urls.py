"""Owner scorecards and the team leaderboard (namespace "reports", included by reports.urls under scorecards/)."""

from django.urls import path

from reports import scorecard_views as views

urlpatterns = [
    path("", views.scorecard_index, name="scorecard_index"),
    path("mine/", views.scorecard_mine, name="scorecard_mine"),
    # Keyed by the owner's membership: it belongs to one organization, so another's id is simply not found.
    path("members/<int:pk>/", views.member_scorecard, name="member_scorecard"),
    path("teams/", views.team_leaderboard, name="team_leaderboard"),
]
