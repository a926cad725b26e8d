"""Platform doubles served on 127.0.0.1, each built from its platform's own documentation."""
