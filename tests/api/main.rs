//! Integration tests: one binary, one module per feature. Each test gets its own database on
//! `TEST_DATABASE_URL` (PostgreSQL) or a fresh SQLite file when it is unset.

mod access;
mod callback_answers;
mod callbacks;
mod commands;
mod consent;
mod credentials;
mod health;
mod helpers;
mod inventory;
mod jobs;
mod limits;
mod migrations;
mod numbers;
mod properties;
mod provisioning;
mod registration;
mod role_matrix;
mod schema;
mod sending;
mod sending_exactly_once;
mod spoke_pages;
mod spoke_settings;
mod structure;
