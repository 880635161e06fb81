"""The job API's routes."""
